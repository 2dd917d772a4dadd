"""The event intake above the apps: the events API, the batch endpoint and its
set-based lane. It calls every app whose handlers an event runs."""
