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

## Case e-mails to colleagues. $name is the colleague, $title the case title.
email-case-greeting = שלום { $name },
email-case-open = לפתיחה ב-Rapport:
email-case-new-subject = פנייה חדשה עבורך: { $title }
email-case-new-body = לקוח זקוק לנו. הפנייה "{ $title }" באחריותך; מועד הקשר הראשון מתקרב, ודברי הלקוח במילותיו שלו מופיעים בדף הפנייה.
email-case-assigned-subject = פנייה הועברה אליך: { $title }
email-case-assigned-body = עמית או עמיתה העבירו אליך את הפנייה "{ $title }". כל מה שנאמר עד כה מופיע בדף הפנייה.
email-case-breach-subject = עבר המועד: { $title }
email-case-breach-body = הפנייה "{ $title }" עברה את מועד היעד שלה. זה לא עניין של אשמה: כדאי לבדוק אם האחראי צריך עזרה כדי להגיע ללקוח.
email-case-alert-subject = תשובה שדורשת את תשומת לבך: { $title }
email-case-alert-body = כלל התראה סימן תשובה בנקודת המגע שלך: "{ $title }". כדאי לקרוא ולהחליט אם לפנות ללקוח.
email-case-digest-subject = היום שלך ב-Rapport: { $open } פניות פתוחות, { $late } עברו את המועד
email-case-digest-body = בוקר טוב. זה מה שמחכה לך ({ $calls } שיחות מעקב להיום). פניות המסומנות ב-! עברו את המועד:

    { $title }
