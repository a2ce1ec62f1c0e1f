# Rapport — ops (el). Message ids must match across en/he/el.
