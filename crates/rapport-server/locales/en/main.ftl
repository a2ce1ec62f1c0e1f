# Rapport web UI — English. Keep message ids identical in every locale (a test checks).
app-name = Rapport
footer-text = Rapport — the frontline is where experience is made.

## Navigation
nav-label = Main
nav-skip = Skip to content
nav-home = Home
nav-insights = Insights
nav-surveys = Surveys
nav-responses = Responses
nav-journeys = Journeys
nav-customers = Customers
nav-teams = Teams
nav-users = People
nav-settings = Organisation
nav-tokens = API tokens
nav-audit = Audit log
nav-logout = Sign out
nav-language = Language

## Roles
role-admin = Administrator
role-cx_manager = CX manager
role-team_lead = Team lead
role-agent = Frontline agent
role-viewer = Executive viewer

## Common
common-apply = Apply
common-save = Save
common-saved = Saved.
common-edit = Edit
common-prev = Previous
common-next = Next
common-page-of = Page { $page } of { $pages }

## Sign in
login-title = Sign in
login-email = E-mail
login-password = Password
login-submit = Sign in
login-failed = That e-mail and password do not match an active account.
login-rate-limited = Too many failed attempts. Please wait 15 minutes and try again.
login-demo-title = Demo logins
login-demo-hint = This is a demo organisation. Sign in as any of these people:
login-demo-password = Password for all of them:

## Home
home-title = Home
home-welcome = Welcome, { $name }.
home-your-team = Your team:
home-intro-admin = You manage the organisation: people, teams, settings and API access.
home-intro-cx_manager = You design journeys and surveys and own the promises made at every touchpoint.
home-intro-team_lead = You lead a frontline team: coach from real conversations and recognise great moments.
home-intro-agent = This is your space: your feedback, your recognition, and a brief before each customer.
home-intro-viewer = A read-only view across channels, journeys and teams.
home-stat-journeys = journeys
home-stat-touchpoints = touchpoints
home-stat-teams = teams
home-stat-agents = frontline agents
home-stat-customers = customers

## Organisation settings
settings-title = Organisation
settings-name = Organisation name
settings-default-locale = Default language
settings-saved = Settings saved.
settings-readonly = Only administrators can change these settings.

## People
users-title = People
users-count = { $count ->
    [one] One person
   *[other] { $count } people
}
users-create = Add a person
users-email = E-mail
users-name = Name
users-role = Role
users-team = Team
users-no-team = No team
users-locale = Language
users-password = Initial password (at least 10 characters)
users-status = Status
users-active = Active
users-inactive = Deactivated

## Teams
teams-title = Teams
teams-create = Add a team
teams-name = Team name
teams-lead = Team lead
teams-no-lead = No lead yet
teams-members = { $count ->
    [one] One active member
   *[other] { $count } active members
}
teams-delete = Delete team (members are kept)

## Journeys
journeys-title = Customer journeys
journeys-intro = Every business meets its customers at five interfaces. Each touchpoint carries a promise; a promise the service does not keep makes a bad experience.
journeys-create = New journey
journeys-name = Journey name
journeys-description = Description
journeys-locale = Language of the journey
journeys-default-stages = A new journey starts with the five stages: marketing promise, first contact, sales, service, after-service.
journey-summary = { $stages } stages, { $touchpoints } touchpoints
journey-edit = Edit journey
journey-delete = Delete journey
stage-add = Add a stage
stage-edit = Edit stage
stage-name = Stage name
stage-kind = Kind of stage
stage-position = Position
stage-delete = Delete stage and its touchpoints
stage-kind-marketing_promise = Marketing & advertising promise
stage-kind-first_contact = First contact
stage-kind-sales = Sales
stage-kind-service = Service & product use
stage-kind-after_service = After-service
stage-kind-custom = Custom stage
tp-add = Add a touchpoint
tp-name = Touchpoint
tp-stage = Stage
tp-channel = Channel
tp-owner = Owner
tp-no-owner = No owner
tp-promise = Promise:
tp-position = Position
tp-delete = Delete touchpoint
tp-none = No touchpoints yet.
channel-advertising = Advertising
channel-web = Website
channel-app = App
channel-phone = Phone
channel-email = E-mail
channel-chat = Chat
channel-sms = SMS
channel-social = Social media
channel-mail = Post
channel-in_person = In person

## Customers
customers-title = Customers
customers-search = Search by name, customer id or e-mail
customers-search-submit = Search
customers-total = { $count ->
    [one] One customer
   *[other] { $count } customers
}
customers-pages = Pages
customers-external-id = Customer id
customers-name = Name
customers-locale = Language
customers-email = E-mail
customers-phone = Phone
customers-consent = Consent
consent-email = e-mail surveys
consent-sms = SMS surveys
consent-research = may be quoted

## API tokens
tokens-title = API tokens
tokens-intro = Tokens let integrations call the Rapport API as you, with your role. Send them as "Authorization: Bearer" headers.
tokens-name = What is this token for?
tokens-create = Create token
tokens-created-once = Copy this token now. It is shown only once; Rapport keeps only a hash of it.
tokens-prefix = Starts with
tokens-last-used = Last used
tokens-never = Never
tokens-revoke = Revoke
tokens-revoked = Revoked

## Audit log
audit-title = Audit log
audit-intro = Every change to organisation data, newest first. The log is append-only.
audit-when = When (UTC)
audit-who = Who
audit-action = Action
audit-entity = Record
audit-detail = Detail
audit-system = System

## Errors
error-title = Something went wrong
error-back = Back to Rapport
error-403 = Your role does not allow this page or action.
error-404 = We could not find that page or record.
error-413 = What you sent is too large.
error-422 = Some of what you entered could not be accepted. Go back, check it and try again.
error-429 = Too many attempts. Please wait a little and try again.
error-503 = Rapport cannot reach its database right now. Please try again shortly.
error-generic = An unexpected error happened. It has been logged.
