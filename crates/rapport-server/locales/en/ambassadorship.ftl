# Rapport — employee ambassadorship and the EX→CX linkage pages (en). Ids must match across en/he/el.
nav-pulses = Pulses
nav-linkage = Linkage
amb-tabs-label = Ambassadorship
amb-tab-pulses = Pulses
amb-tab-results = Pulse results
amb-tab-behaviour = Customer behaviour
amb-tab-linkage = EX → CX linkage

amb-pulses-title = Employee pulses
amb-pulses-intro = Short anonymous pulses measure eNPS and employee ambassadorship: commitment to the company, to what we promise customers, and to the customers themselves. Each agent and team lead gets a personal, single-use link; answers are stored with the team and the quarter only, never the person.
amb-pulses-list = Pulses
amb-pulses-none = No pulses yet. Draft the first one below.
amb-col-title = Title
amb-col-quarter = Quarter
amb-col-status = Status
amb-col-invited = Invited
amb-col-answered = Answered
amb-status-draft = Draft
amb-status-open = Open
amb-status-closed = Closed
amb-new-pulse = Draft a pulse
amb-new-pulse-help = The pulse uses the standard questions: eNPS and three statements for each commitment, in English, Hebrew and Greek. Nobody is invited until you open it.
amb-field-title = Title
amb-field-quarter = Quarter
amb-field-quarter-help = Year, dash and quarter, like { $quarter } (the current quarter).
amb-create = Draft the pulse
amb-pulse-title = Pulse
amb-back-pulses = All pulses
amb-pulse-questions = Questions
amb-scale-enps = 0 (not at all likely) to 10 (extremely likely)
amb-scale-agree = 1 (strongly disagree) to 7 (strongly agree)
amb-feeds = counts towards { $index }
amb-feeds-enps = counts towards eNPS
amb-dim-company = commitment to the company
amb-dim-value_proposition = commitment to the value proposition
amb-dim-customer = commitment to the customer
amb-open = Open and send the invitations
amb-open-again = Invite people who joined since
amb-reopen = Open again
amb-close = Close the pulse
amb-open-help = Opening e-mails a personal, single-use link to every active agent and team lead who has not been invited yet.
amb-close-help = Once it is closed, unused links stop working; answers already given stay.
amb-invited-flash = { $n ->
    [0] The pulse is open. Everyone had been invited already.
    [one] The pulse is open. One invitation is on its way.
   *[other] The pulse is open. { $n } invitations are on their way.
}
amb-closed-flash = The pulse is closed.

amb-err-title = Please give the pulse a title of at most 200 characters.
amb-err-period = Please write the quarter as year, dash, Q and 1 to 4, like 2026-Q3.
amb-err-ex = Please choose one of the employee measures in the list.
amb-err-cx = Please choose one of the customer outcomes in the list.
amb-err-lag = The lag is between 0 and 4 quarters.
amb-err-quarters = The history is between 4 and 16 quarters.
amb-err-generic = Please check this field.

amb-results-title = Pulse results
amb-results-intro = eNPS and the ambassadorship index for each team and quarter, and for the whole organisation. Only totals are shown, never anyone's answers.
amb-results-none = No pulse answers yet.
amb-latest = Latest quarter, { $quarter }
amb-trend-title = Ambassadorship index of the organisation by quarter
amb-col-team = Team
amb-col-n = Answers
amb-col-enps = eNPS
amb-col-index = Ambassadorship index
amb-col-company = Company
amb-col-value = Value proposition
amb-col-customer = Customer
amb-org-row = Whole organisation
amb-hidden = hidden — fewer than { $n } answers, to protect anonymity (or hidden so that a smaller team cannot be worked out)
amb-how-title = How these numbers are made
amb-how-enps = The share of people who answer 9 or 10 to "How likely are you to recommend our company to a friend as a place to work?", minus the share who answer 0 to 6: from −100 to +100.
amb-how-sub-h = Company, value proposition, customer
amb-how-sub = Each statement is answered from 1 (strongly disagree) to 7 (strongly agree) and mapped to 0–100 (1 is 0, 4 is 50, 7 is 100). A person's sub-index is the mean of their three statements on that commitment; the group's is the mean over its people.
amb-how-index = The mean of the three sub-indices: commitment to the company, to the value proposition and to the customer.
amb-how-anon-h = Anonymity
amb-how-anon = A group is shown only when at least { $n } people answered; otherwise the page says it is hidden and shows no number, not even how many answered. When the one hidden team could still be worked out by subtracting the shown teams from the organisation's total, the next-smallest team is hidden as well. People without a team count in the organisation only.

amb-behaviour-title = Customer behaviour
amb-behaviour-intro = What the customers each team served went on to do — not what they said. Satisfaction scores barely predict buying; behaviour is what counts.
amb-behaviour-none = No customers were served in these quarters.
amb-field-quarters = History
amb-quarters-option = { $n } quarters
amb-show = Show
amb-col-served = Customers served
amb-col-churn = Churn
amb-col-repeat = Repeat purchase
amb-col-referral = Referral
amb-col-complaint = Complaints
amb-col-nps = NPS
amb-answers = { $n ->
    [one] (one answer)
   *[other] ({ $n } answers)
}
amb-how-served = Customers who, in the quarter, answered a survey about the team, talked with one of its agents, or bought through one of its agents.
amb-how-window-h = Retention, churn, repeat purchase, referral, complaints
amb-how-window = Shares of those customers who, within { $days } days after their last contact with the team in the quarter, churned (retention is everyone else), bought again (a purchase, renewal or upgrade), referred someone, or complained. The latest quarters are still filling in.
amb-how-nps = The same customers' answers in the quarter: the share of promoters (9–10) minus the share of detractors (0–6).

amb-linkage-title = EX → CX linkage
amb-linkage-intro = Do teams whose people are stronger ambassadors have customers who behave better later on? Each point is one team in one quarter.
amb-linkage-form = Choose what to compare
amb-field-ex = Employee measure
amb-field-cx = Customer outcome
amb-field-lag = Customer outcome measured
amb-lag-option = { $lag ->
    [0] in the same quarter
    [one] one quarter later
   *[other] { $lag } quarters later
}
amb-apply = Compare
amb-reading-label = In plain words
amb-reading-caution = A relation across teams is not proof of cause: look at the interval and the number of points before acting on it.
amb-points-title = Team-quarters
amb-chart-title = { $ex } against { $cx }, one point per team and quarter
amb-chart-desc = Each point is one team in one quarter: across, its { $ex }; up, its customers' { $cx } { $lagtext }.
amb-chart-table = The points as a table
amb-col-quarter-ex = Quarter (employee measure)
amb-no-points = No team-quarter has both measures yet. Points appear once a team's pulse group is large enough to show and its customers' outcomes are in.
amb-stats-title = Statistics
amb-stats-intro = Pearson's r measures a straight-line relation; Spearman's ρ any steady rise or fall, and is less moved by outliers. Both run from −1 to +1. The 95% intervals come from 2,000 bootstrap resamples of the points; the p-value is the chance of a correlation at least this strong if there were none.
amb-stats-caption = { $x } → { $cx }
amb-col-method = Coefficient
amb-method-pearson = Pearson r
amb-method-spearman = Spearman ρ
amb-col-estimate = Estimate
amb-col-ci = 95% interval
amb-col-p = p-value
amb-col-points-long = number of team-quarters
amb-col-caveats = Caveats
amb-nps-title = Does satisfaction predict behaviour as well?
amb-nps-intro = The same statistics for customer NPS against { $cx }: often what customers say predicts what they do less well than how committed the people serving them are.
amb-nps-same = The outcome is NPS itself, so there is nothing to compare.
amb-nps-none = There are not enough NPS answers to compare.
amb-warn-too-few-none = only { $n } points: at least 3 are needed for an estimate
amb-warn-too-few = only { $n } points: treat this as a hint, not evidence ({ $recommended } or more recommended)
amb-warn-zero = the 95% interval includes zero: no clear relation
amb-warn-zero-term = { $term }: the 95% interval includes zero
amb-warn-constant = { $variable } does not vary, so it cannot relate to anything
amb-warn-collinear = { $variable } is largely explained by the other commitments (VIF { $vif }): its coefficient is unstable
amb-reg-title = The three commitments together
amb-reg-intro = A least-squares regression of { $cx } on the three sub-indices at once: how much the outcome moves with one more point of each commitment, the other two held equal.
amb-reg-caption = { $cx } on the three commitments
amb-col-term = Term
amb-col-coef = Coefficient
amb-term-intercept = intercept
amb-adj-r2 = adjusted R²
amb-reg-none-too-few = Not shown: { $n } team-quarters are too few for three predictors (at least { $needed } are needed).
amb-reg-none-constant = Not shown: { $variable } does not vary, so its effect cannot be estimated.
amb-reg-none-collinear = Not shown: { $variable } moves in lockstep with the other commitments, so their effects cannot be told apart.
amb-reg-none = Not shown: the data cannot support a regression yet.
amb-reg-units-pp = Coefficients in percentage points of { $cx } for each point of a sub-index (0–100).
amb-reg-units = Coefficients in points of { $cx } for each point of a sub-index (0–100).
amb-see-results = See the results of this quarter (teams too small to show stay hidden)
