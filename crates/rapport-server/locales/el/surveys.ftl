# Rapport — surveys (el). Message ids must match across en/he/el.

## Respondent pages
respond-unavailable-title = Δεν είναι δυνατό να απαντήσετε σε αυτή την έρευνα
respond-unknown = Δεν βρήκαμε αυτή την έρευνα. Ελέγξτε τον σύνδεσμο που λάβατε.
respond-closed = Η έρευνα αυτή έχει κλείσει. Σας ευχαριστούμε που θέλατε να μας πείτε πώς τα πήγαμε.
respond-not-open = Η έρευνα αυτή δεν έχει ανοίξει ακόμη.
respond-invitation-unknown = Δεν βρήκαμε αυτή την πρόσκληση. Ελέγξτε τον σύνδεσμο που λάβατε.
respond-invitation-used = Έχετε ήδη απαντήσει σε αυτή την πρόσκληση. Σας ευχαριστούμε — οι απαντήσεις σας έχουν καταγραφεί.
respond-invitation-expired = Η πρόσκληση αυτή έχει λήξει. Σας ευχαριστούμε που θέλατε να μας πείτε πώς τα πήγαμε.
respond-thanks-default = Σας ευχαριστούμε για τις απαντήσεις σας.
respond-preview-nothing-stored = Προεπισκόπηση: οι απαντήσεις εδώ δεν αποθηκεύονται.
respond-required = (υποχρεωτικό)
respond-error-required = Παρακαλούμε απαντήστε σε αυτή την ερώτηση.
respond-error-invalid = Παρακαλούμε επιλέξτε μία από τις προτεινόμενες απαντήσεις.
respond-error-pair = Παρακαλούμε απαντήστε και τι περιμένατε και τι λάβατε.
respond-error-empty = Παρακαλούμε απαντήστε σε τουλάχιστον μία ερώτηση.
respond-error-summary = Μία απάντηση χρειάζεται την προσοχή σας — μετάβαση στην ερώτηση.
respond-step = Βήμα { $current } από { $total }
respond-next = Επόμενο
respond-back = Πίσω
respond-submit = Αποστολή απαντήσεων

## Survey management
surveys-title = Έρευνες
surveys-intro = Κάθε έρευνα μετρά ένα σημείο επαφής. Δημοσιεύστε μια έρευνα για να ανοίξει ο δημόσιος σύνδεσμός της· η επεξεργασία μιας δημοσιευμένης έρευνας δημιουργεί νέα έκδοση, ώστε οι προηγούμενες απαντήσεις να διατηρούν το νόημά τους.
surveys-none = Δεν υπάρχουν ακόμη έρευνες.
surveys-name = Όνομα
surveys-status = Κατάσταση
surveys-version = Έκδοση
surveys-public-link = Δημόσιος σύνδεσμος
surveys-not-published = (δεν έχει δημοσιευτεί)
surveys-status-draft = Πρόχειρο
surveys-status-published = Δημοσιευμένη
surveys-status-closed = Κλειστή
surveys-create = Δημιουργία έρευνας
surveys-need-touchpoint = Προσθέστε πρώτα ένα σημείο επαφής σε μια διαδρομή πελάτη.
surveys-promise = Η υπόσχεση που δίνεται εδώ
surveys-touchpoint = Σημείο επαφής
surveys-standard-definition = Η έρευνα ξεκινά με τις τυπικές ερωτήσεις (NPS με συμπληρωματική ερώτηση, ικανοποίηση, προσπάθεια, υπόσχεση έναντι παράδοσης) στα αγγλικά, εβραϊκά και ελληνικά· μπορείτε να τις επεξεργαστείτε μετά.
surveys-saved = Η έρευνα αποθηκεύτηκε.
surveys-invalid = Η έρευνα δεν αποθηκεύτηκε. Διορθώστε αυτό το πεδίο:
surveys-preview = Προεπισκόπηση
surveys-publish = Δημοσίευση
surveys-close = Κλείσιμο της έρευνας
surveys-edit = Επεξεργασία της έρευνας
surveys-new-version = Η έρευνα έχει δημοσιευτεί: η αποθήκευση δημιουργεί την έκδοση { $version }. Οι απαντήσεις που έχουν ήδη δοθεί κρατούν την έκδοση στην οποία απάντησαν.
surveys-definition = Ερωτήσεις και κείμενα (JSON)
surveys-definition-help = Κάθε ερώτηση έχει κλειδί (key), τύπο (type: nps, csat, ces, rating, single_choice, multiple_choice, free_text, expectation_pair), διατύπωση (prompt) σε κάθε γλώσσα της έρευνας και προαιρετικά required, show_if, low_label και high_label.
surveys-back-to-list = Όλες οι έρευνες
