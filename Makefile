.PHONY: demo test lint bench messages
demo:        ## install, load the demo ISP and serve it on 127.0.0.1:8000
	scripts/demo.sh
test:        ## install what the tests need and run the whole suite
	scripts/test.sh
lint:
	.venv/bin/ruff check .
messages:    ## refresh and compile the French translation
	cd coin && ../.venv/bin/python ../manage.py makemessages -l fr --no-obsolete && ../.venv/bin/python ../manage.py compilemessages
