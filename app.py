"""Vanishing Gradient Explorer: the Streamlit page (the only module that imports Streamlit)."""

import streamlit as st

st.set_page_config(page_title="Vanishing Gradient Explorer", layout="wide")
st.title("Vanishing Gradient Explorer")
st.write("If the gradient vanishes, is that not the zero gradient of the optimum?")
