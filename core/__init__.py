"""Cœur métier du portail CNFS : modèles, règles, appels, stockage, PDF, exports.

Aucun import de Streamlit ici : les pages appellent ce paquet, jamais l'inverse.
"""
