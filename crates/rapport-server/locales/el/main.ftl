# Rapport web UI — Greek (Ελληνικά). Keep message ids identical in every locale (a test checks).
app-name = Rapport
footer-text = Rapport — η εμπειρία γεννιέται στην πρώτη γραμμή.

## Navigation
nav-label = Κύριο μενού
nav-skip = Μετάβαση στο περιεχόμενο
nav-home = Αρχική
nav-insights = Ευρήματα
nav-surveys = Έρευνες
nav-responses = Απαντήσεις
nav-journeys = Διαδρομές πελατών
nav-customers = Πελάτες
nav-teams = Ομάδες
nav-users = Χρήστες
nav-settings = Οργανισμός
nav-tokens = Διακριτικά API
nav-audit = Αρχείο ελέγχου
nav-logout = Αποσύνδεση
nav-language = Γλώσσα

## Roles
role-admin = Διαχειριστής
role-cx_manager = Υπεύθυνος εμπειρίας πελάτη
role-team_lead = Επικεφαλής ομάδας
role-agent = Εκπρόσωπος εξυπηρέτησης
role-viewer = Διοίκηση (μόνο προβολή)

## Common
common-apply = Εφαρμογή
common-save = Αποθήκευση
common-saved = Αποθηκεύτηκε.
common-edit = Επεξεργασία
common-prev = Προηγούμενη
common-next = Επόμενη
common-page-of = Σελίδα { $page } από { $pages }

## Sign in
login-title = Σύνδεση
login-email = Email
login-password = Κωδικός πρόσβασης
login-submit = Σύνδεση
login-failed = Το email και ο κωδικός πρόσβασης δεν αντιστοιχούν σε ενεργό λογαριασμό.
login-rate-limited = Πάρα πολλές αποτυχημένες προσπάθειες. Περιμένετε 15 λεπτά και δοκιμάστε ξανά.
login-demo-title = Λογαριασμοί επίδειξης
login-demo-hint = Αυτός είναι ένας οργανισμός επίδειξης. Συνδεθείτε ως οποιοδήποτε από τα παρακάτω άτομα:
login-demo-password = Κοινός κωδικός πρόσβασης για όλους:

## Home
home-title = Αρχική
home-welcome = Καλώς ήρθατε, { $name }.
home-your-team = Η ομάδα σας:
home-intro-admin = Διαχειρίζεστε τον οργανισμό: χρήστες, ομάδες, ρυθμίσεις και πρόσβαση στο API.
home-intro-cx_manager = Σχεδιάζετε διαδρομές πελατών και έρευνες και έχετε την ευθύνη για τις υποσχέσεις που δίνονται σε κάθε σημείο επαφής.
home-intro-team_lead = Είστε επικεφαλής μιας ομάδας πρώτης γραμμής: καθοδηγείτε με βάση πραγματικές συνομιλίες και επιβραβεύετε τις σπουδαίες στιγμές.
home-intro-agent = Αυτός είναι ο δικός σας χώρος: τα σχόλια που λαμβάνετε, η αναγνώρισή σας και μια σύντομη ενημέρωση πριν από κάθε πελάτη.
home-intro-viewer = Συνολική εικόνα όλων των καναλιών, διαδρομών πελατών και ομάδων, μόνο για ανάγνωση.
home-stat-journeys = διαδρομές πελατών
home-stat-touchpoints = σημεία επαφής
home-stat-teams = ομάδες
home-stat-agents = εκπρόσωποι εξυπηρέτησης
home-stat-customers = πελάτες

## Organisation settings
settings-title = Οργανισμός
settings-name = Όνομα οργανισμού
settings-default-locale = Προεπιλεγμένη γλώσσα
settings-saved = Οι ρυθμίσεις αποθηκεύτηκαν.
settings-readonly = Μόνο οι διαχειριστές μπορούν να αλλάξουν αυτές τις ρυθμίσεις.

## People
users-title = Χρήστες
users-count = { $count ->
    [one] Ένας χρήστης
   *[other] { $count } χρήστες
}
users-create = Προσθήκη χρήστη
users-email = Email
users-name = Όνομα
users-role = Ρόλος
users-team = Ομάδα
users-no-team = Χωρίς ομάδα
users-locale = Γλώσσα
users-password = Αρχικός κωδικός πρόσβασης (τουλάχιστον 10 χαρακτήρες)
users-status = Κατάσταση
users-active = Ενεργός
users-inactive = Απενεργοποιημένος

## Teams
teams-title = Ομάδες
teams-create = Προσθήκη ομάδας
teams-name = Όνομα ομάδας
teams-lead = Επικεφαλής ομάδας
teams-no-lead = Δεν έχει οριστεί ακόμη επικεφαλής
teams-members = { $count ->
    [one] Ένα ενεργό μέλος
   *[other] { $count } ενεργά μέλη
}
teams-delete = Διαγραφή ομάδας (τα μέλη της διατηρούνται)

## Journeys
journeys-title = Διαδρομές πελατών
journeys-intro = Κάθε επιχείρηση συναντά τους πελάτες της σε πέντε διεπαφές. Κάθε σημείο επαφής συνοδεύεται από μια υπόσχεση, και μια υπόσχεση που η εξυπηρέτηση δεν τηρεί οδηγεί σε κακή εμπειρία.
journeys-create = Νέα διαδρομή πελάτη
journeys-name = Όνομα διαδρομής
journeys-description = Περιγραφή
journeys-locale = Γλώσσα της διαδρομής
journeys-default-stages = Κάθε νέα διαδρομή ξεκινά με τα πέντε στάδια: υπόσχεση μάρκετινγκ, πρώτη επαφή, πωλήσεις, εξυπηρέτηση, μετά την εξυπηρέτηση.
journey-summary = { $stages } στάδια, { $touchpoints } σημεία επαφής
journey-edit = Επεξεργασία διαδρομής
journey-delete = Διαγραφή διαδρομής
stage-add = Προσθήκη σταδίου
stage-edit = Επεξεργασία σταδίου
stage-name = Όνομα σταδίου
stage-kind = Είδος σταδίου
stage-position = Θέση
stage-delete = Διαγραφή σταδίου και των σημείων επαφής του
stage-kind-marketing_promise = Υπόσχεση μάρκετινγκ και διαφήμισης
stage-kind-first_contact = Πρώτη επαφή
stage-kind-sales = Πωλήσεις
stage-kind-service = Εξυπηρέτηση και χρήση προϊόντος
stage-kind-after_service = Μετά την εξυπηρέτηση
stage-kind-custom = Προσαρμοσμένο στάδιο
tp-add = Προσθήκη σημείου επαφής
tp-name = Σημείο επαφής
tp-stage = Στάδιο
tp-channel = Κανάλι
tp-owner = Υπεύθυνος
tp-no-owner = Χωρίς υπεύθυνο
tp-promise = Υπόσχεση:
tp-position = Θέση
tp-delete = Διαγραφή σημείου επαφής
tp-none = Δεν υπάρχουν ακόμη σημεία επαφής.
channel-advertising = Διαφήμιση
channel-web = Ιστότοπος
channel-app = Εφαρμογή
channel-phone = Τηλέφωνο
channel-email = Email
channel-chat = Chat
channel-sms = SMS
channel-social = Μέσα κοινωνικής δικτύωσης
channel-mail = Ταχυδρομείο
channel-in_person = Αυτοπροσώπως

## Customers
customers-title = Πελάτες
customers-search = Αναζήτηση με όνομα, κωδικό πελάτη ή email
customers-search-submit = Αναζήτηση
customers-total = { $count ->
    [one] Ένας πελάτης
   *[other] { $count } πελάτες
}
customers-pages = Σελίδες
customers-external-id = Κωδικός πελάτη
customers-name = Όνομα
customers-locale = Γλώσσα
customers-email = Email
customers-phone = Τηλέφωνο
customers-consent = Συγκατάθεση
consent-email = έρευνες μέσω email
consent-sms = έρευνες μέσω SMS
consent-research = επιτρέπεται η παράθεση σχολίων

## API tokens
tokens-title = Διακριτικά API
tokens-intro = Τα διακριτικά επιτρέπουν στις ενσωματώσεις να καλούν το API του Rapport εκ μέρους σας, με τον δικό σας ρόλο. Στείλτε τα στην κεφαλίδα «Authorization: Bearer».
tokens-name = Για ποιον σκοπό θα χρησιμοποιηθεί αυτό το διακριτικό;
tokens-create = Δημιουργία διακριτικού
tokens-created-once = Αντιγράψτε τώρα αυτό το διακριτικό. Εμφανίζεται μόνο μία φορά, καθώς το Rapport αποθηκεύει μόνο ένα hash του.
tokens-prefix = Ξεκινά με
tokens-last-used = Τελευταία χρήση
tokens-never = Ποτέ
tokens-revoke = Ανάκληση
tokens-revoked = Ανακλήθηκε

## Audit log
audit-title = Αρχείο ελέγχου
audit-intro = Κάθε αλλαγή στα δεδομένα του οργανισμού, με τις πιο πρόσφατες πρώτες. Στο αρχείο επιτρέπονται μόνο προσθήκες.
audit-when = Πότε (UTC)
audit-who = Ποιος
audit-action = Ενέργεια
audit-entity = Εγγραφή
audit-detail = Λεπτομέρειες
audit-system = Σύστημα

## Errors
error-title = Κάτι πήγε στραβά
error-back = Επιστροφή στο Rapport
error-403 = Ο ρόλος σας δεν επιτρέπει την πρόσβαση σε αυτή τη σελίδα ή ενέργεια.
error-404 = Δεν βρήκαμε αυτή τη σελίδα ή εγγραφή.
error-413 = Αυτό που στείλατε είναι πολύ μεγάλο.
error-422 = Ορισμένα από τα στοιχεία που καταχωρίσατε δεν έγιναν δεκτά. Επιστρέψτε, ελέγξτε τα και δοκιμάστε ξανά.
error-429 = Πάρα πολλές προσπάθειες. Περιμένετε λίγο και δοκιμάστε ξανά.
error-503 = Το Rapport δεν μπορεί να συνδεθεί στη βάση δεδομένων αυτή τη στιγμή. Δοκιμάστε ξανά σε λίγο.
error-generic = Παρουσιάστηκε ένα απρόσμενο σφάλμα, το οποίο έχει καταγραφεί.
