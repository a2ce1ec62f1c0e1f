# Rapport — the frontline (en). Message ids must match across en/he/el.
brief-opening-open-case = Hello { $name }, this is about the matter you raised with us: I have it in front of me and I'm here to see it through.
brief-opening-unhappy = Hello { $name }, I saw that last time did not go as it should have. I'm sorry, and I'd like to make this time better.
brief-opening-fine = Hello { $name }, thank you for being with us. How can I help today?
