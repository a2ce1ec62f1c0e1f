# Rapport — פניות (he). Message ids must match across en/he/el.
nav-cases = פניות
cases-title = פניות
cases-inbox-intro = לקוחות שסיפרו לנו שמשהו השתבש ומחכים שמישהו יחזור אליהם. הפניות הפתוחות מופיעות ראשונות, והקרובה ביותר למועד היעד — בראש. הספירה לאחור מציגה את יעד השירות הבא: קודם יצירת קשר ראשון, ואחר כך פתרון.
cases-count-open = פניות פתוחות
cases-count-breached = עברו את מועד היעד
cases-count-mine = פניות פתוחות באחריותך
cases-f-state = מצב
cases-f-open = פתוחות (טרם נפתרו או נסגרו)
cases-f-any = כל המצבים
cases-f-owner = אחראי/ת
cases-f-anyone = כולם
cases-f-me = אני
cases-f-touchpoint = נקודת מגע
cases-f-all-touchpoints = כל נקודות המגע
cases-f-breached = רק פניות שעברו את מועד היעד
cases-total = { $count ->
    [one] פנייה אחת מתאימה.
   *[other] { $count } פניות מתאימות.
}
cases-none = אין פניות שמתאימות לסינון הזה. ייתכן שאלה חדשות טובות.
cases-pages = עמודי פניות
cases-col-priority = עדיפות
cases-col-title = פנייה
cases-col-customer = לקוח/ה
cases-col-touchpoint = נקודת מגע
cases-col-owner = אחראי/ת
cases-col-state = מצב
cases-col-sla = רמת שירות
cases-col-age = נפתחה
cases-breached = עבר את היעד
cases-sla-met = הסתיימה בזמן
cases-sla-missed = הסתיימה אחרי היעד
cases-due-in = בעוד { $dur }
cases-overdue-by = באיחור של { $dur }
cases-dur-min = { $n ->
    [one] דקה
   *[other] { $n } דקות
}
cases-dur-hours = { $n ->
    [one] שעה
    [two] שעתיים
   *[other] { $n } שעות
}
cases-dur-days = { $n ->
    [one] יום
    [two] יומיים
   *[other] { $n } ימים
}
cases-unassigned = עדיין לא שויכה
cases-no-customer = לקוח/ה אנונימי/ת
cases-state-new = חדשה
cases-state-contacted = נוצר קשר
cases-state-in_dialogue = בשיחה
cases-state-resolved = נפתרה
cases-state-closed = נסגרה ללא פעולה
cases-priority-low = נמוכה
cases-priority-normal = רגילה
cases-priority-high = גבוהה
cases-priority-urgent = דחופה
cases-outcome = תוצאה
cases-outcome-won_back = הלקוח/ה חזר/ה אלינו
cases-outcome-not_recovered = לא הצלחנו להשיב
cases-source = מקור
cases-source-response = תשובה לסקר
cases-source-conversation = שיחה
cases-source-manual = נפתחה ידנית
cases-case-title = פנייה { $id }
cases-summary = איפה הפנייה עומדת
cases-first-contact = יצירת קשר ראשון
cases-resolution = פתרון
cases-due = עד
cases-late = אחרי היעד
cases-opened = נפתחה
cases-agent = נציג/ה מעורב/ת
cases-escalated = הועברה לדרג נוסף
cases-escalated-to = הועברה אל
cases-close-reason = סיבת הסגירה
cases-root-causes = גורמי שורש
cases-recovery = לפני ואחרי
cases-why = למה נפתחה הפנייה
cases-why-response = התשובה של הלקוח/ה דרשה תשומת לב של אדם.
cases-why-conversation = נפתחה משיחה עם הלקוח/ה.
cases-why-manual = עמית/ה פתח/ה את הפנייה ידנית.
cases-observed = ערך שנמדד:
cases-cond-nps = ציון NPS של { $value } ומטה
cases-cond-csat = ציון שביעות רצון של { $value } ומטה
cases-cond-ces = ציון מאמץ של { $value } ומטה
cases-cond-gap = החוויה נמוכה מהציפייה ב־{ $value } או יותר
cases-cond-negative = הערה שלילית עם כעס של { $value } לפחות
cases-cond-escalation = סיכון לפנייה לתקשורת או לערכאות של { $value } לפחות
cases-cond-churn = אומר/ת שאולי יעזוב/תעזוב (ציון { $value } לפחות)
cases-cond-topic = הערה בנושא „{ $value }”
cases-cond-weekly-drop = ה־NPS השבועי של נקודת המגע ירד יותר ממרווח הטעות שלו
cases-original = מה הלקוח/ה סיפר/ה לנו בסקר
cases-no-response = הפנייה הזאת לא נפתחה מתשובה לסקר.
cases-expected = ציפייה
cases-got = בפועל
cases-log = השיחה וההיסטוריה
cases-log-intro = כדאי להפריד בין מה שהלקוח/ה אמר/ה במילים שלו/ה, מה שעשינו ומה שהבטחנו — כך מי שימשיך את הטיפול יידע בדיוק איפה הדברים עומדים.
cases-log-empty = עדיין לא נרשם דבר.
cases-note-customer_said = מה הלקוח/ה סיפר/ה לנו
cases-note-we_did = מה עשינו
cases-note-we_promised = מה הבטחנו
cases-note-internal = הערה פנימית
cases-ev-transition = שינוי מצב
cases-ev-assign = שיוך מחדש
cases-ev-escalate = הועברה לדרג נוסף אחרי שעבר מועד היעד
cases-ev-tag = נקבעו גורמי שורש
cases-ev-followup = תשובת המעקב (NPS)
cases-by-system = Rapport
cases-add-note = הוספה לשיחה
cases-note-kind = איזה סוג רישום זה?
cases-note-body = במילים של הלקוח/ה, ככל האפשר
cases-add-note-submit = הוספת רישום
cases-move = העברת הפנייה
cases-move-to = המצב הבא
cases-move-outcome = תוצאה (בעת פתרון)
cases-move-outcome-none = לבחור בעת פתרון
cases-move-reason = סיבה (נדרשת בסגירה ללא פעולה)
cases-move-hint = מוצגים רק הצעדים הבאים האפשריים לפנייה הזאת.
cases-move-submit = העברה
cases-assign = אחראי/ת
cases-assign-submit = שיוך מחדש
cases-root-causes-label = גורמי שורש, מופרדים בפסיקים
cases-root-causes-help = אפשר להשתמש בשמות הנושאים שלמטה כשהם מתאימים, או במילים שלך.
cases-root-causes-known = שמות נושאים מהטקסונומיה
cases-history = ההיסטוריה של הלקוח/ה
cases-other-responses = תשובות נוספות שלו/ה
cases-no-other-responses = אין תשובות נוספות מהלקוח/ה הזה/הזאת.
cases-earlier = פניות נוספות שלו/ה
cases-no-earlier = אין פניות נוספות ללקוח/ה הזה/הזאת.
cases-err-to = אי אפשר להעביר את הפנייה למצב הזה מהמקום שבו היא נמצאת; נא לבחור אחד מהמצבים המוצעים.
cases-err-outcome = נא לציין אם הלקוח/ה חזר/ה אלינו או שלא הצלחנו להשיב.
cases-err-reason = נא לכתוב סיבה כשסוגרים פנייה ללא פעולה.
cases-err-body = נא לכתוב את הרישום (עד 10,000 תווים).
cases-err-kind = נא לבחור את סוג הרישום.
cases-err-owner = נא לבחור עמית/ה פעיל/ה כאחראי/ת.
cases-err-root-causes = נא לבדוק את גורמי השורש: עד 20, כל אחד באורך 1 עד 64 תווים.
cases-err-generic = לא הצלחנו לשמור את השינוי; נא לבדוק את הטופס.

## Post-service follow-up calls.
cases-count-followups = שיחות מעקב להיום (שלי)
followups-title = שיחות מעקב
followups-intro = השירות ממשיך גם אחרי שהשירות נגמר. כמה שבועות אחרי הפנייה האחרונה של הלקוח, שיחה קצרה שואלת מה שלומו — ולא פעם מביאה את הלקוח הבא. השיחות מתוזמנות לפי תוכנית המעקב של כל נקודת מגע.
followups-mine = שלי
followups-all = של כולם
followups-due = לביצוע השבוע
followups-none = אין שיחות מעקב לביצוע. כל הכבוד.
followups-last = קשר אחרון
followups-due-on = להתקשר עד
followups-late = עבר המועד
followups-outcome = מה הלקוח אמר?
followups-done = התקשרתי — שמירה
followups-skip = לדלג על השיחה
followups-recent = תועדו לאחרונה
followups-none-recent = עדיין לא תועד דבר.
followups-state-done = בוצעה שיחה
followups-state-skipped = דולג
