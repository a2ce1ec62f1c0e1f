# Rapport — surveys (he). Message ids must match across en/he/el.

## Respondent pages
respond-unavailable-title = לא ניתן לענות על הסקר הזה
respond-unknown = לא מצאנו את הסקר. כדאי לבדוק את הקישור שקיבלתם.
respond-closed = הסקר הזה נסגר. תודה שרציתם לספר לנו איך היה.
respond-not-open = הסקר הזה עדיין לא נפתח.
respond-invitation-unknown = לא מצאנו את ההזמנה. כדאי לבדוק את הקישור שקיבלתם.
respond-invitation-used = כבר עניתם על ההזמנה הזו. תודה — התשובות שלכם אצלנו.
respond-invitation-expired = תוקף ההזמנה הזו פג. תודה שרציתם לספר לנו איך היה.
respond-thanks-default = תודה על התשובות.
respond-preview-nothing-stored = תצוגה מקדימה: התשובות כאן לא נשמרות.
respond-required = (חובה)
respond-error-required = נא לענות על השאלה הזו.
respond-error-invalid = נא לבחור באחת מהתשובות המוצעות.
respond-error-pair = נא לענות גם למה ציפיתם וגם מה קיבלתם.
respond-error-empty = נא לענות על שאלה אחת לפחות.
respond-error-summary = תשובה אחת דורשת את תשומת לבכם — מעבר לשאלה.
respond-step = שלב { $current } מתוך { $total }
respond-next = הבא
respond-back = הקודם
respond-submit = שליחת התשובות

## Survey management
surveys-title = סקרים
surveys-intro = כל סקר מודד נקודת מגע אחת. פרסום הסקר פותח את הקישור הציבורי שלו; עריכת סקר שפורסם יוצרת גרסה חדשה, כך שתשובות קודמות שומרות על משמעותן.
surveys-none = עדיין אין סקרים.
surveys-name = שם
surveys-status = מצב
surveys-version = גרסה
surveys-public-link = קישור ציבורי
surveys-not-published = (לא פורסם)
surveys-status-draft = טיוטה
surveys-status-published = פורסם
surveys-status-closed = סגור
surveys-create = יצירת סקר
surveys-need-touchpoint = קודם יש להוסיף נקודת מגע למסע לקוח.
surveys-promise = ההבטחה שניתנה כאן
surveys-touchpoint = נקודת מגע
surveys-standard-definition = הסקר מתחיל מהשאלות הסטנדרטיות (NPS עם שאלת המשך, שביעות רצון, מאמץ, הבטחה מול ביצוע) באנגלית, בעברית וביוונית; אפשר לערוך אותן אחר כך.
surveys-saved = הסקר נשמר.
surveys-invalid = הסקר לא נשמר. נא לתקן את השדה הזה:
surveys-preview = תצוגה מקדימה
surveys-publish = פרסום
surveys-close = סגירת הסקר
surveys-edit = עריכת הסקר
surveys-new-version = הסקר הזה כבר פורסם: שמירה תיצור את גרסה { $version }. תשובות שכבר ניתנו נשארות עם הגרסה שעליה ענו.
surveys-definition = שאלות וטקסטים (JSON)
surveys-definition-help = לכל שאלה יש מפתח (key), סוג (type: nps, csat, ces, rating, single_choice, multiple_choice, free_text, expectation_pair), נוסח (prompt) בכל שפות הסקר, ואופציונלית required, show_if, low_label ו-high_label.
surveys-back-to-list = כל הסקרים
