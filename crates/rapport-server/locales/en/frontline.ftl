# Rapport — the frontline (en). Message ids must match across en/he/el.
brief-opening-open-case = Hello { $name }, this is about the matter you raised with us: I have it in front of me and I'm here to see it through.
brief-opening-unhappy = Hello { $name }, I saw that last time did not go as it should have. I'm sorry, and I'd like to make this time better.
brief-opening-fine = Hello { $name }, thank you for being with us. How can I help today?
pulse-title = Team pulse
pulse-intro = A few questions about working here, our promise to customers and the customers themselves. It takes two minutes.
pulse-anonymity = Your answers are anonymous: they are stored with your team and the quarter only, never your name, and results are shown only for groups of at least five people.
pulse-fix = Please check this answer:
pulse-enps-low = Not at all likely
pulse-enps-high = Extremely likely
pulse-agree-low = Strongly disagree
pulse-agree-high = Strongly agree
pulse-submit = Send my answers
pulse-thanks = Thank you. Your answers are in, without your name.
pulse-gone = This link has been used, or the pulse is closed. Each link admits one answer.
email-case-pulse-subject = Team pulse: { $title }
email-case-pulse-body = Two minutes, anonymous: how is it to work here, and how do we treat our customers? Your answers are stored without your name and shown only for groups of at least five.
