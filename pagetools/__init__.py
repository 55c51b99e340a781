"""Development tooling shared by the browser tests (``tests/browser``) and the benchmarks
(``bench/``): serving a script and launching Chromium (``harness``), reading and driving the page
(``driver``), what the page must show according to the registry (``expect``), and the layout
checks (``readability``). Not part of the app: nothing imports Streamlit at module level, and
Playwright is imported only where a browser is driven.
"""
