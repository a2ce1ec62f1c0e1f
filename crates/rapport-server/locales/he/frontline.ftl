# Rapport — הצוות בחזית (he). Message ids must match across en/he/el.
brief-opening-open-case = שלום { $name }, אני פונה בעניין שהעלית אצלנו: הפרטים מולי ואני כאן כדי לסגור אותו עד הסוף.
brief-opening-unhappy = שלום { $name }, ראיתי שבפעם הקודמת זה לא הלך כמו שצריך. אני מצטער/ת על כך, והפעם אני רוצה שזה יהיה אחרת.
brief-opening-fine = שלום { $name }, תודה שבחרת בנו. במה אפשר לעזור היום?
