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
