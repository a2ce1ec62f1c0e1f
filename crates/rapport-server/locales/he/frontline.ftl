# Rapport — הצוות בחזית (he). Message ids must match across en/he/el.
brief-opening-open-case = שלום { $name }, אני פונה בעניין שהעלית אצלנו: הפרטים מולי ואני כאן כדי לסגור אותו עד הסוף.
brief-opening-unhappy = שלום { $name }, ראיתי שבפעם הקודמת זה לא הלך כמו שצריך. אני מצטער/ת על כך, והפעם אני רוצה שזה יהיה אחרת.
brief-opening-fine = שלום { $name }, תודה שבחרת בנו. במה אפשר לעזור היום?
pulse-title = דופק צוות
pulse-intro = כמה שאלות על העבודה כאן, על ההבטחה שלנו ללקוחות ועל הלקוחות עצמם. זה לוקח שתי דקות.
pulse-anonymity = התשובות שלך אנונימיות: הן נשמרות רק עם הצוות והרבעון, אף פעם לא עם שמך, והתוצאות מוצגות רק לקבוצות של חמישה אנשים לפחות.
pulse-fix = נא לבדוק את התשובה הזאת:
pulse-enps-low = בכלל לא סביר
pulse-enps-high = סביר מאוד
pulse-agree-low = לא מסכים/ה בכלל
pulse-agree-high = מסכים/ה מאוד
pulse-submit = שליחת התשובות
pulse-thanks = תודה. התשובות שלך התקבלו, בלי שמך.
pulse-gone = הקישור הזה כבר נוצל, או שהסקר נסגר. כל קישור מאפשר תשובה אחת.
email-case-pulse-subject = דופק צוות: { $title }
email-case-pulse-body = שתי דקות, באופן אנונימי: איך לעבוד כאן, ואיך אנחנו מתייחסים ללקוחות שלנו? התשובות נשמרות בלי שמך ומוצגות רק לקבוצות של חמישה לפחות.

linkage-m-ambassadorship = מדד השגרירות
linkage-m-ambassadorship-company = מחויבות לחברה
linkage-m-ambassadorship-value_proposition = מחויבות להבטחה ללקוח
linkage-m-ambassadorship-customer = מחויבות ללקוח
linkage-m-enps = eNPS
linkage-m-emotional_labour = מדד העבודה הרגשית
linkage-m-nps = NPS לקוחות
linkage-m-retention_90d = שימור ל־90 יום
linkage-m-churn_90d = נטישה תוך 90 יום
linkage-m-repeat_purchase_90d = רכישה חוזרת תוך 90 יום
linkage-m-referral_90d = המלצות תוך 90 יום
linkage-m-complaint_90d = תלונות תוך 90 יום
linkage-reading-higher = ב־{ $quarters } הרבעונים האחרונים, לצוותים עם { $ex } גבוה יותר היה { $cx } גבוה יותר { $lagtext } (⁦ρ = { $rho }⁩, רווח סמך 95%: ⁦{ $lo }⁩ עד ⁦{ $hi }⁩, ⁦n = { $n }⁩).
linkage-reading-lower = ב־{ $quarters } הרבעונים האחרונים, לצוותים עם { $ex } גבוה יותר היה { $cx } נמוך יותר { $lagtext } (⁦ρ = { $rho }⁩, רווח סמך 95%: ⁦{ $lo }⁩ עד ⁦{ $hi }⁩, ⁦n = { $n }⁩).
linkage-reading-unclear = ב־{ $quarters } הרבעונים האחרונים לא נמצא קשר ברור בין { $ex } לבין { $cx } { $lagtext }: רווח הסמך של 95% כולל את האפס (⁦ρ = { $rho }⁩, רווח סמך ⁦{ $lo }⁩ עד ⁦{ $hi }⁩, ⁦n = { $n }⁩).
linkage-reading-none = עדיין אין מספיק נתונים כדי לקשר בין { $ex } לבין { $cx } (⁦n = { $n }⁩ צוותים־רבעונים).
linkage-lag = { $lag ->
    [0] באותו רבעון
    [one] רבעון אחד לאחר מכן
   *[other] { $lag } רבעונים לאחר מכן
}
fl-rate-title = דירוג ראש הצוות
fl-rate-intro = ארבע שאלות על האופן שבו ראש הצוות מוביל, פעם ברבעון. מובילי שירות טובים הם אותנטיים, צנועים, מחוברים לשטח ואכפתיים.
fl-rate-anonymity = אנונימי: הדירוג נשמר רק עם ראש הצוות והרבעון, אף פעם לא עם שמך, ומוצג רק כשלפחות { $min } אנשים ענו.
fl-rate-fix = נא לבדוק את התשובה הזאת:
fl-rate-authenticity = אותנטיות
fl-rate-authenticity-hint = הוא או היא מי שהם אומרים שהם; מתכוונים למה שהם אומרים.
fl-rate-humility = ענווה
fl-rate-humility-hint = מקשיבים, מודים בטעויות, שמים את הצוות במקום הראשון.
fl-rate-connectedness = חיבור לשטח
fl-rate-connectedness-hint = מכירים את העבודה שלנו ואת הלקוחות; נמצאים שם כשזה חשוב.
fl-rate-care = אכפתיות
fl-rate-care-hint = אכפת להם מאיתנו כבני אדם, לא רק כמספרים.
fl-rate-low = לעיתים רחוקות
fl-rate-high = תמיד
fl-rate-submit = שליחת הדירוג של { $name }
fl-rate-thanks = תודה. הדירוג שלך התקבל, בלי שמך.
fl-rate-already = כבר דירגת את ראש הצוות ברבעון הזה; הדירוג הראשון הוא הקובע.
fl-rate-no-lead = אין לך ראש צוות לדרג.
fl-ratings-title = דירוגי ראשי צוותים
fl-ratings-intro = איך הצוותים מדרגים את ראשי הצוות בארבע תכונות של מובילי שירות (1–5), לפי רבעון.
fl-ratings-none = עדיין אין דירוגים.
fl-ratings-lead = ראש צוות
fl-ratings-quarter = רבעון
fl-ratings-n = תשובות
fl-ratings-hidden = מוסתר: פחות מ־{ $min } תשובות, כדי לשמור על אנונימיות.
