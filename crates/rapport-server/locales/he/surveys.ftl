# Rapport — surveys (he). Message ids must match across en/he/el.
