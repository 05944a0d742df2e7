"""The API's routes, by concern: :mod:`.eligibility` (one applicant, a batch), :mod:`.catalogue`
(credentials, states) and :mod:`.operations` (health, readiness, metrics). Each module's handlers are
module-level functions; its ``add_routes`` adds them to the app ``api.main.create_app`` builds (directly on
the app's router, so ``app.router.routes`` lists every route), and they reach the app's state through the
request (``api.state.service_of``)."""
