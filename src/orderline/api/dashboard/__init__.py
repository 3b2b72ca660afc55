"""The restaurant ops dashboard at ``/dashboard``: server-rendered pages (Jinja2), small local JavaScript,
live updates over server-sent events fed by Redis pub/sub, crew logins with roles per store."""
