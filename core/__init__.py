"""Cœur métier du portail CNFS : modèles, règles, appels, stockage, PDF, exports (sans Streamlit)."""
