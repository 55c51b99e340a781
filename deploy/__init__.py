"""Serving the page: N replicas behind HAProxy (``python -m deploy.replicas``)."""
