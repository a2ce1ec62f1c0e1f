# Rapport — insights (en). Message ids must match across en/he/el.
