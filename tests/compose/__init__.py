"""Container images and the compose deployment: static checks of the files
(here) and the end-to-end proof in a real Docker engine (e2e/run.sh, run by
`make e2e-compose`)."""
