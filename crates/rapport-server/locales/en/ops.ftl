# Rapport — ops (en). Message ids must match across en/he/el.

## Survey invitation e-mails. $org is the organisation, $name the customer, $date the last day the link works.
email-invitation-subject = { $org }: how did we do?
email-reminder-subject = { $org }: a quick reminder — how did we do?
email-greeting = Hello { $name },
email-invitation-body = Thank you for getting in touch with us. Would you tell us how it went? It takes about two minutes, and we read every answer.
email-reminder-body = A few days ago we asked how your recent contact with us went. If you have two minutes, your answer helps us keep our promises.
email-button = Answer the survey
email-link-note = This link is personal and works until { $date }.
email-footer = You receive this message because you agreed to hear from { $org } by e-mail. We send at most one reminder.

## Case e-mails to colleagues. $name is the colleague, $title the case title.
email-case-greeting = Hello { $name },
email-case-open = Open it in Rapport:
email-case-new-subject = New case for you: { $title }
email-case-new-body = A customer needs us. The case "{ $title }" is yours; the first contact is due soon, and the customer's own words are on the case page.
email-case-assigned-subject = A case was handed to you: { $title }
email-case-assigned-body = A colleague handed you the case "{ $title }". Everything said so far is on the case page.
email-case-breach-subject = Past its deadline: { $title }
email-case-breach-body = The case "{ $title }" has passed its service-level deadline. This is not about blame: please check whether the owner needs help reaching the customer.
email-case-alert-subject = A response needs your attention: { $title }
email-case-alert-body = An alert rule flagged a response at your touchpoint: "{ $title }". Read it and decide whether to reach out.
email-case-digest-subject = Your day in Rapport: { $open } open { $open ->
        [one] case
       *[other] cases
    }, { $late } past deadline
email-case-digest-body = Good morning. Here is what is waiting for you ({ $calls } follow-up { $calls ->
        [one] call
       *[other] calls
    } due today). Cases marked ! are past their deadline:

    { $title }
