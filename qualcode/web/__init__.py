"""The review in the browser: a local web face beside the CLI, over ``qualcode.Project``.

``qualcode serve`` runs :func:`qualcode.web.server.serve`; :func:`qualcode.web.app.create_app`
builds the Flask application (tests use its test client). Flask is imported only here,
so ``qualcode --help`` stays quick.
"""
