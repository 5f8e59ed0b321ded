"""The web console: server-rendered pages over the same service operations as the API.

`app.create_server_app` assembles what `iamd serve` serves: the API of
`iamd.api` and the console's routes (sign-in, pages, federation) on the same
port. Pages never touch the store; they run service operations with the
signed-in principal as the caller (web.py).
"""
