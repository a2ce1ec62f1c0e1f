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

linkage-m-ambassadorship = ambassadorship index
linkage-m-ambassadorship-company = commitment to the company
linkage-m-ambassadorship-value_proposition = commitment to the value proposition
linkage-m-ambassadorship-customer = commitment to the customer
linkage-m-enps = eNPS
linkage-m-emotional_labour = emotional-labour index
linkage-m-nps = customer NPS
linkage-m-retention_90d = 90-day retention
linkage-m-churn_90d = 90-day churn
linkage-m-repeat_purchase_90d = 90-day repeat purchase
linkage-m-referral_90d = 90-day referrals
linkage-m-complaint_90d = 90-day complaints
linkage-reading-higher = In the last { $quarters } quarters, teams with higher { $ex } had higher { $cx } { $lagtext } (ρ = { $rho }, 95% CI { $lo } to { $hi }, n = { $n }).
linkage-reading-lower = In the last { $quarters } quarters, teams with higher { $ex } had lower { $cx } { $lagtext } (ρ = { $rho }, 95% CI { $lo } to { $hi }, n = { $n }).
linkage-reading-unclear = In the last { $quarters } quarters, { $ex } showed no clear relation with { $cx } { $lagtext }: the 95% interval includes zero (ρ = { $rho }, 95% CI { $lo } to { $hi }, n = { $n }).
linkage-reading-none = Not enough data to relate { $ex } to { $cx } yet (n = { $n } team-quarters).
linkage-lag = { $lag ->
    [0] in the same quarter
    [one] one quarter later
   *[other] { $lag } quarters later
}
fl-rate-title = Rate your team lead
fl-rate-intro = Four questions about how your team lead leads, once a quarter. Good service leaders are authentic, humble, connected to the frontline and caring.
fl-rate-anonymity = Anonymous: your rating is stored with your lead and the quarter only, never your name, and shown only when at least { $min } people have answered.
fl-rate-fix = Please check this answer:
fl-rate-authenticity = Authenticity
fl-rate-authenticity-hint = Is who they say they are; means what they say.
fl-rate-humility = Humility
fl-rate-humility-hint = Listens, admits mistakes, puts the team first.
fl-rate-connectedness = Connectedness
fl-rate-connectedness-hint = Knows our work and our customers; is there when it matters.
fl-rate-care = Care
fl-rate-care-hint = Cares about us as people, not only as numbers.
fl-rate-low = Rarely
fl-rate-high = Always
fl-rate-submit = Send my rating of { $name }
fl-rate-thanks = Thank you. Your rating is in, without your name.
fl-rate-already = You have already rated your lead this quarter; the first rating stands.
fl-rate-no-lead = You have no team lead to rate.
fl-ratings-title = Team lead ratings
fl-ratings-intro = How teams rate their leads on the four service-leader traits (1–5), per quarter.
fl-ratings-none = No ratings yet.
fl-ratings-lead = Lead
fl-ratings-quarter = Quarter
fl-ratings-n = Answers
fl-ratings-hidden = Hidden: fewer than { $min } answers, to protect anonymity.
