# Rapport web UI — Hebrew (עברית). Keep message ids identical in every locale (a test checks).
app-name = Rapport
footer-text = Rapport — בקו הראשון נוצרת החוויה.

## Navigation
nav-label = תפריט ראשי
nav-skip = דילוג לתוכן
nav-home = דף הבית
nav-insights = תובנות
nav-surveys = סקרים
nav-responses = תשובות
nav-journeys = מסעות לקוח
nav-customers = לקוחות
nav-teams = צוותים
nav-users = אנשים
nav-settings = הארגון
nav-tokens = אסימוני API
nav-audit = יומן ביקורת
nav-logout = התנתקות
nav-language = שפה

## Roles
role-admin = מנהל/ת מערכת
role-cx_manager = מנהל/ת חוויית לקוח
role-team_lead = ראש צוות
role-agent = נציג/ת שירות
role-viewer = הנהלה (צפייה בלבד)

## Common
common-apply = החלה
common-save = שמירה
common-saved = נשמר.
common-edit = עריכה
common-prev = הקודם
common-next = הבא
common-page-of = עמוד { $page } מתוך { $pages }

## Sign in
login-title = התחברות
login-email = אימייל
login-password = סיסמה
login-submit = התחברות
login-failed = האימייל והסיסמה אינם תואמים לחשבון פעיל.
login-rate-limited = יותר מדי ניסיונות כושלים. יש להמתין 15 דקות ולנסות שוב.
login-demo-title = כניסות להדגמה
login-demo-hint = זהו ארגון הדגמה. אפשר להתחבר בתור כל אחד מהאנשים האלה:
login-demo-password = הסיסמה של כולם:

## Home
home-title = דף הבית
home-welcome = שלום, { $name }.
home-your-team = הצוות שלך:
home-intro-admin = באחריותך ניהול הארגון: אנשים, צוותים, הגדרות וגישה ל-API.
home-intro-cx_manager = כאן מתכננים מסעות לקוח וסקרים, ובאחריותך ההבטחות שניתנות בכל נקודת מגע.
home-intro-team_lead = בהובלתך צוות בקו הראשון: חניכה מתוך שיחות אמיתיות והוקרה על רגעים מצוינים.
home-intro-agent = זה המרחב שלך: המשוב שלך, ההוקרה שלך ותדריך קצר לפני כל לקוח.
home-intro-viewer = תצוגה לקריאה בלבד של כל הערוצים, מסעות הלקוח והצוותים.
home-stat-journeys = מסעות לקוח
home-stat-touchpoints = נקודות מגע
home-stat-teams = צוותים
home-stat-agents = נציגי שירות
home-stat-customers = לקוחות

## Organisation settings
settings-title = הארגון
settings-name = שם הארגון
settings-default-locale = שפת ברירת המחדל
settings-saved = ההגדרות נשמרו.
settings-readonly = רק מנהלי מערכת יכולים לשנות את ההגדרות האלה.

## People
users-title = אנשים
users-count = { $count ->
    [one] אדם אחד
    [two] שני אנשים
   *[other] { $count } אנשים
}
users-create = הוספת משתמש/ת
users-email = אימייל
users-name = שם
users-role = תפקיד
users-team = צוות
users-no-team = ללא צוות
users-locale = שפה
users-password = סיסמה ראשונית (10 תווים לפחות)
users-status = סטטוס
users-active = פעיל
users-inactive = מושבת

## Teams
teams-title = צוותים
teams-create = הוספת צוות
teams-name = שם הצוות
teams-lead = ראש צוות
teams-no-lead = עדיין אין ראש צוות
teams-members = { $count ->
    [one] אדם פעיל אחד בצוות
    [two] שני אנשים פעילים בצוות
   *[other] { $count } אנשים פעילים בצוות
}
teams-delete = מחיקת הצוות (האנשים בצוות לא יימחקו)

## Journeys
journeys-title = מסעות לקוח
journeys-intro = כל עסק פוגש את לקוחותיו בחמישה ממשקים. כל נקודת מגע טומנת בחובה הבטחה, והבטחה שהשירות לא מקיים הופכת לחוויה רעה.
journeys-create = מסע לקוח חדש
journeys-name = שם מסע הלקוח
journeys-description = תיאור
journeys-locale = שפת מסע הלקוח
journeys-default-stages = מסע לקוח חדש מתחיל בחמשת השלבים: הבטחת השיווק, קשר ראשון, מכירה, שירות ולאחר השירות.
journey-summary = { $stages } שלבים, { $touchpoints } נקודות מגע
journey-edit = עריכת מסע הלקוח
journey-delete = מחיקת מסע הלקוח
stage-add = הוספת שלב
stage-edit = עריכת השלב
stage-name = שם השלב
stage-kind = סוג השלב
stage-position = מיקום
stage-delete = מחיקת השלב ונקודות המגע שבו
stage-kind-marketing_promise = הבטחת השיווק והפרסום
stage-kind-first_contact = קשר ראשון
stage-kind-sales = מכירה
stage-kind-service = שירות ושימוש במוצר
stage-kind-after_service = לאחר השירות
stage-kind-custom = שלב מותאם אישית
tp-add = הוספת נקודת מגע
tp-name = נקודת מגע
tp-stage = שלב
tp-channel = ערוץ
tp-owner = אחראי/ת
tp-no-owner = ללא אחראי/ת
tp-promise = ההבטחה:
tp-position = מיקום
tp-delete = מחיקת נקודת המגע
tp-none = עדיין אין נקודות מגע.
channel-advertising = פרסום
channel-web = אתר אינטרנט
channel-app = אפליקציה
channel-phone = טלפון
channel-email = אימייל
channel-chat = צ'אט
channel-sms = SMS
channel-social = רשתות חברתיות
channel-mail = דואר
channel-in_person = פנים אל פנים

## Customers
customers-title = לקוחות
customers-search = חיפוש לפי שם, מזהה לקוח או אימייל
customers-search-submit = חיפוש
customers-total = { $count ->
    [one] לקוח אחד
    [two] שני לקוחות
   *[other] { $count } לקוחות
}
customers-pages = עמודים
customers-external-id = מזהה לקוח
customers-name = שם
customers-locale = שפה
customers-email = אימייל
customers-phone = טלפון
customers-consent = הסכמה
consent-email = סקרים באימייל
consent-sms = סקרים ב-SMS
consent-research = מותר לצטט

## API tokens
tokens-title = אסימוני API
tokens-intro = אסימונים מאפשרים לאינטגרציות לפנות ל-API של Rapport בשמך ובהרשאות של התפקיד שלך. יש לשלוח אותם בכותרת "Authorization: Bearer".
tokens-name = למה ישמש האסימון הזה?
tokens-create = יצירת אסימון
tokens-created-once = יש להעתיק את האסימון עכשיו. הוא מוצג פעם אחת בלבד, וב-Rapport נשמר רק גיבוב (hash) שלו.
tokens-prefix = מתחיל ב-
tokens-last-used = שימוש אחרון
tokens-never = מעולם לא
tokens-revoke = ביטול
tokens-revoked = בוטל

## Audit log
audit-title = יומן ביקורת
audit-intro = כל שינוי בנתוני הארגון, מהחדש לישן. ביומן אפשר רק להוסיף רשומות, לא לשנות או למחוק.
audit-when = מתי (UTC)
audit-who = מי
audit-action = פעולה
audit-entity = רשומה
audit-detail = פרטים
audit-system = מערכת

## Errors
error-title = משהו השתבש
error-back = חזרה ל-Rapport
error-403 = התפקיד שלך לא מאפשר גישה לדף הזה או לפעולה הזו.
error-404 = לא מצאנו את הדף או את הרשומה.
error-413 = הנתונים שנשלחו גדולים מדי.
error-422 = חלק מהפרטים שהוזנו לא התקבלו. יש לחזור, לבדוק אותם ולנסות שוב.
error-429 = יותר מדי ניסיונות. יש להמתין מעט ולנסות שוב.
error-503 = ל-Rapport אין כרגע גישה למסד הנתונים. אפשר לנסות שוב בעוד רגע.
error-generic = אירעה שגיאה לא צפויה. השגיאה נרשמה ביומן.
