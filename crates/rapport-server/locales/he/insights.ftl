# Rapport — insights (he). Message ids must match across en/he/el.
