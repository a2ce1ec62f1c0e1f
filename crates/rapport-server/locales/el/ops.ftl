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
