"""The page's panels, one module each: its controls as data, its view and its charts."""
