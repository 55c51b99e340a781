"""The page's Streamlit drawing layer: with ``app.py``, the only code that imports Streamlit.

``state`` keeps the session state and the URL, ``widgets`` draws a panel's controls, ``blocks``
draws a view's blocks and download menu, ``sections`` draws the header and the open section
(each panel by its drawer), ``lab`` draws the training lab live.
"""
