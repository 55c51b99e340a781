"""Claims: every sentence template, verdict word and chart title the page shows, checked by an
oracle that shares no code with the view, over the full ranges of the controls (hypothesis with
explicit edge strategies). See docs/CLAIMS.md for the table: template, where shown, oracle, test.
"""
