"""Build engine: the artifact `flash build` produces, computed from source without importing the app.

- ``manifest``: ``build_manifest`` / ``build_plan`` (resources, functions, routes, registry),
  with ``resources`` (deployment config of each ``Endpoint``) and ``values`` (static arguments).
- ``handlers``: ``handler_<name>.py`` and the bundled SDK's resource config module.
- ``deps``: requirements, the pip install for the workers' platform, excluded packages.
- ``files`` / ``tarball`` / ``runtime``: what ships, the reproducible archive, the bundled SDK.
- ``api``: ``BuildOptions``, ``build_app``, ``BuildResult``, ``BuildError`` (CLI and server).

Differences from the official build are deliberate and listed in docs/compatibility.md.
"""
