# Rapport — surveys (el). Message ids must match across en/he/el.
