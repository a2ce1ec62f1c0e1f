# Rapport — υποθέσεις (el). Message ids must match across en/he/el.
nav-cases = Υποθέσεις
cases-title = Υποθέσεις
cases-inbox-intro = Πελάτες που μας είπαν ότι κάτι δεν πήγε καλά και περιμένουν να τους απαντήσει κάποιος. Πρώτα οι ανοιχτές υποθέσεις, με την πιο κοντινή προθεσμία στην κορυφή. Η αντίστροφη μέτρηση δείχνει τον επόμενο στόχο εξυπηρέτησης: πρώτα την πρώτη επικοινωνία, μετά την επίλυση.
cases-count-open = ανοιχτές υποθέσεις
cases-count-breached = πέρασαν την προθεσμία τους
cases-count-mine = ανοιχτές υποθέσεις δικές σας
cases-f-state = Κατάσταση
cases-f-open = Ανοιχτές (δεν έχουν επιλυθεί ή κλείσει)
cases-f-any = Όλες οι καταστάσεις
cases-f-owner = Υπεύθυνος
cases-f-anyone = Οποιοσδήποτε
cases-f-me = Εγώ
cases-f-touchpoint = Σημείο επαφής
cases-f-all-touchpoints = Όλα τα σημεία επαφής
cases-f-breached = Μόνο υποθέσεις που πέρασαν την προθεσμία τους
cases-total = { $count ->
    [one] Ταιριάζει μία υπόθεση.
   *[other] Ταιριάζουν { $count } υποθέσεις.
}
cases-none = Καμία υπόθεση δεν ταιριάζει με αυτά τα φίλτρα. Ίσως είναι καλά νέα.
cases-pages = Σελίδες υποθέσεων
cases-col-priority = Προτεραιότητα
cases-col-title = Υπόθεση
cases-col-customer = Πελάτης
cases-col-touchpoint = Σημείο επαφής
cases-col-owner = Υπεύθυνος
cases-col-state = Κατάσταση
cases-col-sla = Επίπεδο εξυπηρέτησης
cases-col-age = Άνοιξε
cases-breached = Πέρασε την προθεσμία
cases-sla-met = Ολοκληρώθηκε εγκαίρως
cases-sla-missed = Ολοκληρώθηκε μετά την προθεσμία
cases-due-in = λήγει σε { $dur }
cases-overdue-by = εκπρόθεσμη κατά { $dur }
cases-dur-min = { $n ->
    [one] { $n } λεπτό
   *[other] { $n } λεπτά
}
cases-dur-hours = { $n ->
    [one] { $n } ώρα
   *[other] { $n } ώρες
}
cases-dur-days = { $n ->
    [one] { $n } ημέρα
   *[other] { $n } ημέρες
}
cases-unassigned = Κανείς ακόμη
cases-no-customer = Ανώνυμος πελάτης
cases-state-new = Νέα
cases-state-contacted = Έγινε επικοινωνία
cases-state-in_dialogue = Σε διάλογο
cases-state-resolved = Επιλύθηκε
cases-state-closed = Έκλεισε χωρίς ενέργεια
cases-priority-low = Χαμηλή
cases-priority-normal = Κανονική
cases-priority-high = Υψηλή
cases-priority-urgent = Επείγουσα
cases-outcome = Έκβαση
cases-outcome-won_back = Τον κερδίσαμε ξανά
cases-outcome-not_recovered = Δεν τον κερδίσαμε ξανά
cases-source = Προέλευση
cases-source-response = Απάντηση σε έρευνα
cases-source-conversation = Συνομιλία
cases-source-manual = Άνοιξε χειροκίνητα
cases-case-title = Υπόθεση { $id }
cases-summary = Πού βρίσκεται η υπόθεση
cases-first-contact = Πρώτη επικοινωνία
cases-resolution = Επίλυση
cases-due = έως
cases-late = μετά την προθεσμία
cases-opened = Άνοιξε
cases-agent = Εμπλεκόμενος εκπρόσωπος
cases-escalated = Κλιμακώθηκε
cases-escalated-to = Κλιμακώθηκε προς
cases-close-reason = Λόγος κλεισίματος
cases-root-causes = Βασικές αιτίες
cases-recovery = Πριν και μετά
cases-why = Γιατί άνοιξε αυτή η υπόθεση
cases-why-response = Η απάντηση του πελάτη χρειαζόταν την προσοχή ενός ανθρώπου.
cases-why-conversation = Άνοιξε από μια συνομιλία με τον πελάτη.
cases-why-manual = Ένας συνάδελφος άνοιξε την υπόθεση χειροκίνητα.
cases-observed = τιμή που παρατηρήθηκε:
cases-cond-nps = απάντηση NPS { $value } ή χαμηλότερη
cases-cond-csat = απάντηση ικανοποίησης { $value } ή χαμηλότερη
cases-cond-ces = απάντηση προσπάθειας { $value } ή χαμηλότερη
cases-cond-gap = εμπειρία κάτω από την προσδοκία κατά { $value } ή περισσότερο
cases-cond-negative = αρνητικό σχόλιο με θυμό τουλάχιστον { $value }
cases-cond-escalation = κίνδυνος δημοσιοποίησης ή νομικών ενεργειών τουλάχιστον { $value }
cases-cond-churn = λέει ότι ίσως φύγει (βαθμός τουλάχιστον { $value })
cases-cond-topic = σχόλιο για «{ $value }»
cases-cond-weekly-drop = το εβδομαδιαίο NPS του σημείου επαφής έπεσε περισσότερο από το περιθώριο σφάλματός του
cases-original = Τι μας είπε ο πελάτης στην έρευνα
cases-no-response = Αυτή η υπόθεση δεν προήλθε από απάντηση σε έρευνα.
cases-expected = Προσδοκία
cases-got = Εμπειρία
cases-log = Διάλογος και ιστορικό
cases-log-intro = Κρατήστε χωριστά τα λόγια του πελάτη, όσα κάναμε και όσα υποσχεθήκαμε, ώστε όποιος συνεχίσει να ξέρει ακριβώς πού βρισκόμαστε.
cases-log-empty = Δεν έχει καταγραφεί τίποτα ακόμη.
cases-note-customer_said = Τι μας είπε ο πελάτης
cases-note-we_did = Τι κάναμε
cases-note-we_promised = Τι υποσχεθήκαμε
cases-note-internal = Εσωτερική σημείωση
cases-ev-transition = Αλλαγή κατάστασης
cases-ev-assign = Νέα ανάθεση
cases-ev-escalate = Κλιμακώθηκε αφού πέρασε η προθεσμία
cases-ev-tag = Ορίστηκαν βασικές αιτίες
cases-ev-followup = Απάντηση παρακολούθησης (NPS)
cases-by-system = Rapport
cases-add-note = Προσθήκη στον διάλογο
cases-note-kind = Τι είδους καταχώριση είναι;
cases-note-body = Με τα λόγια του πελάτη, όπου γίνεται
cases-add-note-submit = Προσθήκη καταχώρισης
cases-move = Μετακίνηση της υπόθεσης
cases-move-to = Επόμενη κατάσταση
cases-move-outcome = Έκβαση (κατά την επίλυση)
cases-move-outcome-none = Επιλέξτε κατά την επίλυση
cases-move-reason = Λόγος (απαιτείται όταν κλείνει χωρίς ενέργεια)
cases-move-hint = Εμφανίζονται μόνο τα επόμενα βήματα που επιτρέπονται για αυτή την υπόθεση.
cases-move-submit = Μετακίνηση
cases-assign = Υπεύθυνος
cases-assign-submit = Νέα ανάθεση
cases-root-causes-label = Βασικές αιτίες, χωρισμένες με κόμμα
cases-root-causes-help = Χρησιμοποιήστε τα ονόματα θεμάτων παρακάτω όπου ταιριάζουν, ή δικές σας λέξεις.
cases-root-causes-known = Ονόματα θεμάτων από την ταξινομία
cases-history = Το ιστορικό αυτού του πελάτη
cases-other-responses = Οι άλλες απαντήσεις του
cases-no-other-responses = Καμία άλλη απάντηση από αυτόν τον πελάτη.
cases-earlier = Οι άλλες υποθέσεις του
cases-no-earlier = Καμία άλλη υπόθεση για αυτόν τον πελάτη.
cases-err-to = Η υπόθεση δεν μπορεί να πάει σε αυτή την κατάσταση από εκεί που βρίσκεται· επιλέξτε μία από τις προτεινόμενες.
cases-err-outcome = Πείτε μας αν κερδίσαμε ξανά τον πελάτη ή όχι.
cases-err-reason = Γράψτε έναν λόγο όταν κλείνετε υπόθεση χωρίς ενέργεια.
cases-err-body = Γράψτε την καταχώριση (έως 10.000 χαρακτήρες).
cases-err-kind = Επιλέξτε τι είδους καταχώριση είναι.
cases-err-owner = Επιλέξτε έναν ενεργό συνάδελφο ως υπεύθυνο.
cases-err-root-causes = Ελέγξτε τις βασικές αιτίες: έως 20, η καθεμία από 1 έως 64 χαρακτήρες.
cases-err-generic = Η αλλαγή δεν αποθηκεύτηκε· ελέγξτε τη φόρμα.

## Post-service follow-up calls.
cases-count-followups = κλήσεις παρακολούθησης για σήμερα (δικές μου)
followups-title = Κλήσεις παρακολούθησης
followups-intro = Η εξυπηρέτηση συνεχίζεται και μετά το τέλος της. Λίγες εβδομάδες μετά την τελευταία επαφή του πελάτη, ένα σύντομο τηλεφώνημα ρωτά πώς πάνε τα πράγματα — και συχνά φέρνει τον επόμενο πελάτη. Οι κλήσεις προγραμματίζονται από το πλάνο παρακολούθησης κάθε σημείου επαφής.
followups-mine = Δικές μου
followups-all = Όλων
followups-due = Αυτή την εβδομάδα
followups-none = Δεν εκκρεμούν κλήσεις παρακολούθησης. Μπράβο.
followups-last = Τελευταία επαφή
followups-due-on = κλήση έως
followups-late = Εκπρόθεσμη
followups-outcome = Τι είπε ο πελάτης;
followups-done = Τηλεφώνησα — αποθήκευση
followups-skip = Παράλειψη κλήσης
followups-recent = Πρόσφατες καταγραφές
followups-none-recent = Τίποτα δεν έχει καταγραφεί ακόμη.
followups-state-done = έγινε κλήση
followups-state-skipped = παραλείφθηκε
