"""The span judge's training data (``eval/judge/pairs/``) and its checks."""
