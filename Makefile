.PHONY: demo test lint bench bench-charge messages deploy-test deploy-files
demo:        ## install, load the demo ISP and serve it on 127.0.0.1:8000
	scripts/demo.sh
test:        ## install what the tests need and run the whole suite
	scripts/test.sh
lint:
	.venv/bin/ruff check .
messages:    ## refresh and compile the French translation
	scripts/messages.sh
bench:       ## benchmarks on a private PostgreSQL cluster, ending with one table of ratios and goals
	.venv/bin/python bench/report.py --reset
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/python bench/bench_allocation.py
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/python bench/bench_pdf.py  # invoice PDFs per second per core vs a minimal WeasyPrint page
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/python bench/bench_charge.py --members $(CHARGE_MEMBERS)  # billing: charge_subscriptions vs bulk insert
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/python bench/bench_vpn_sync.py  # vpn: full LDAP sync vs ldapadd
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/python bench/bench_radius.py  # coa: traffic page 1M vs 1k radacct rows; radius_sync vs COPY
	.venv/bin/python bench/bench_coa.py  # coa: 1,000 CoA-Requests to coa_server, Coin's client vs radclient -p 100
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/python bench/bench_billing_page.py  # portal: billing page, 500 vs 15 invoices
	.venv/bin/python bench/report.py
CHARGE_MEMBERS ?= 10000 100000
bench-charge: ## only the charge run's benchmark, e.g. make bench-charge CHARGE_MEMBERS=10000 (about a minute)
	.venv/bin/python bench/report.py --reset
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/python bench/bench_charge.py --members $(CHARGE_MEMBERS)
	.venv/bin/python bench/report.py
deploy-test: ## the Ansible role run for real on this machine (root), served through nginx (~2 min)
	scripts/bootstrap.sh test
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/pytest -q -s tests/deploy
deploy-files: ## write contrib/systemd and contrib/nginx from the role's templates
	ansible-playbook contrib/ansible/render.yml
