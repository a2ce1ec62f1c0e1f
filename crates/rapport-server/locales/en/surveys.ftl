# Rapport — surveys (en). Message ids must match across en/he/el.

## Respondent pages
respond-unavailable-title = This survey cannot be answered
respond-unknown = We could not find this survey. Please check the link you were sent.
respond-closed = This survey has closed. Thank you for wanting to tell us how we did.
respond-not-open = This survey is not open yet.
respond-invitation-unknown = We could not find this invitation. Please check the link you were sent.
respond-invitation-used = This invitation has already been answered. Thank you — we have your answers.
respond-invitation-expired = This invitation has expired. Thank you for wanting to tell us how we did.
respond-thanks-default = Thank you for your answers.
respond-preview-nothing-stored = Preview: answers given here are not stored.
respond-required = (required)
respond-error-required = Please answer this question.
respond-error-invalid = Please choose one of the answers offered.
respond-error-pair = Please answer both what you expected and what you got.
respond-error-empty = Please answer at least one question.
respond-error-summary = One answer needs your attention — go to the question.
respond-step = Step { $current } of { $total }
respond-next = Next
respond-back = Back
respond-submit = Send answers

## Survey management
surveys-title = Surveys
surveys-intro = Each survey measures one touchpoint. Publish a survey to open its public link; editing a published survey creates a new version, so earlier answers keep their meaning.
surveys-none = No surveys yet.
surveys-name = Name
surveys-status = Status
surveys-version = Version
surveys-public-link = Public link
surveys-not-published = (not published)
surveys-status-draft = Draft
surveys-status-published = Published
surveys-status-closed = Closed
surveys-create = Create a survey
surveys-need-touchpoint = Add a touchpoint to a journey first.
surveys-promise = The promise made here
surveys-touchpoint = Touchpoint
surveys-standard-definition = The survey starts from the standard questions (NPS with a follow-up, satisfaction, effort, promise versus delivery) in English, Hebrew and Greek; edit them afterwards.
surveys-saved = Survey saved.
surveys-invalid = The survey was not saved. Please fix this field:
surveys-preview = Preview
surveys-publish = Publish
surveys-close = Close the survey
surveys-edit = Edit the survey
surveys-new-version = This survey has been published: saving creates version { $version }. Answers already given keep the version they answered.
surveys-definition = Questions and texts (JSON)
surveys-definition-help = Each question has a key, a type (nps, csat, ces, rating, single_choice, multiple_choice, free_text, expectation_pair), a prompt in every language of the survey, and optionally required, show_if, low_label and high_label.
surveys-back-to-list = All surveys
