"""The admin pages under /admin: server-rendered, usable without JavaScript."""
