"""Page-side code that needs no Streamlit: controls, lessons, formatting, chart builders."""
