# Rapport — ops (he). Message ids must match across en/he/el.

## Survey invitation e-mails. $org is the organisation, $name the customer, $date the last day the link works.
email-invitation-subject = { $org }: איך היינו?
email-reminder-subject = { $org }: תזכורת קצרה — איך היינו?
email-greeting = שלום { $name },
email-invitation-body = תודה שפניתם אלינו. נשמח לשמוע איך זה היה. זה לוקח כשתי דקות, ואנחנו קוראים כל תשובה.
email-reminder-body = לפני כמה ימים שאלנו איך הייתה הפנייה האחרונה שלכם אלינו. אם יש לכם שתי דקות, התשובה שלכם עוזרת לנו לעמוד בהבטחות שלנו.
email-button = למענה על הסקר
email-link-note = הקישור אישי ותקף עד { $date }.
email-footer = קיבלתם הודעה זו כי הסכמתם לקבל הודעות דוא״ל מ־{ $org }. לא נשלח יותר מתזכורת אחת.
