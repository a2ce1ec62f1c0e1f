# Rapport — ops (el). Message ids must match across en/he/el.

## Survey invitation e-mails. $org is the organisation, $name the customer, $date the last day the link works.
email-invitation-subject = { $org }: πώς τα πήγαμε;
email-reminder-subject = { $org }: μια σύντομη υπενθύμιση — πώς τα πήγαμε;
email-greeting = Γεια σας { $name },
email-invitation-body = Σας ευχαριστούμε που επικοινωνήσατε μαζί μας. Θα θέλατε να μας πείτε πώς πήγε; Χρειάζονται περίπου δύο λεπτά και διαβάζουμε κάθε απάντηση.
email-reminder-body = Πριν από λίγες μέρες σας ρωτήσαμε πώς πήγε η πρόσφατη επικοινωνία σας μαζί μας. Αν έχετε δύο λεπτά, η απάντησή σας μάς βοηθά να κρατάμε τις υποσχέσεις μας.
email-button = Απαντήστε στην έρευνα
email-link-note = Ο σύνδεσμος είναι προσωπικός και ισχύει έως τις { $date }.
email-footer = Λαμβάνετε αυτό το μήνυμα επειδή συμφωνήσατε να λαμβάνετε e-mail από την { $org }. Στέλνουμε το πολύ μία υπενθύμιση.

## Case e-mails to colleagues. $name is the colleague, $title the case title.
email-case-greeting = Γεια σας { $name },
email-case-open = Ανοίξτε την στο Rapport:
email-case-new-subject = Νέα υπόθεση για εσάς: { $title }
email-case-new-body = Ένας πελάτης μας χρειάζεται. Η υπόθεση «{ $title }» είναι δική σας· η πρώτη επικοινωνία πλησιάζει, και τα λόγια του πελάτη βρίσκονται στη σελίδα της υπόθεσης.
email-case-assigned-subject = Σας ανατέθηκε μια υπόθεση: { $title }
email-case-assigned-body = Ένας συνάδελφος σας ανέθεσε την υπόθεση «{ $title }». Όσα ειπώθηκαν ως τώρα βρίσκονται στη σελίδα της υπόθεσης.
email-case-breach-subject = Πέρασε η προθεσμία: { $title }
email-case-breach-body = Η υπόθεση «{ $title }» πέρασε την προθεσμία εξυπηρέτησης. Δεν πρόκειται για απόδοση ευθυνών: δείτε αν ο υπεύθυνος χρειάζεται βοήθεια για να φτάσει στον πελάτη.
email-case-alert-subject = Μια απάντηση χρειάζεται την προσοχή σας: { $title }
email-case-alert-body = Ένας κανόνας ειδοποίησης επισήμανε μια απάντηση στο σημείο επαφής σας: «{ $title }». Διαβάστε την και αποφασίστε αν θα επικοινωνήσετε.
email-case-digest-subject = Η μέρα σας στο Rapport: { $open } ανοιχτές υποθέσεις, { $late } εκπρόθεσμες
email-case-digest-body = Καλημέρα. Να τι σας περιμένει ({ $calls } κλήσεις παρακολούθησης για σήμερα). Οι υποθέσεις με ! έχουν περάσει την προθεσμία τους:

    { $title }
