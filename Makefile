.PHONY: demo test lint bench bench-quick bench-charge messages deploy-test deploy-files
demo:        ## install, load the demo ISP and serve it on 127.0.0.1:8000
	scripts/demo.sh
test:        ## install what the tests need and run the whole suite
	scripts/test.sh
lint:
	.venv/bin/ruff check .
messages:    ## refresh and compile the French translation
	scripts/messages.sh
# Each benchmark records its measures for the final table; one that exits with an
# error (a crash, or a goal it checks itself) is recorded as FAIL and the others still run.
BENCH_PG = .venv/bin/python -m tests.harness.postgres -- .venv/bin/python
BENCH_FAILED = .venv/bin/python bench/report.py --failed
bench:       ## benchmarks on a private PostgreSQL cluster, ending with one table of ratios and goals (7 to 12 min)
	.venv/bin/python bench/report.py --reset
	$(BENCH_PG) bench/bench_allocation.py $(ALLOCATION_ARGS) || $(BENCH_FAILED) bench_allocation.py  # resources: allocation vs plain inserts
	$(BENCH_PG) bench/bench_pdf.py $(PDF_ARGS) || $(BENCH_FAILED) bench_pdf.py  # invoice PDFs per second per core vs a minimal WeasyPrint page
	$(BENCH_PG) bench/bench_charge.py --members $(CHARGE_MEMBERS) || $(BENCH_FAILED) bench_charge.py  # billing: charge_subscriptions vs bulk insert
	$(BENCH_PG) bench/bench_vpn_sync.py $(VPN_ARGS) || $(BENCH_FAILED) bench_vpn_sync.py  # vpn: full LDAP sync vs ldapadd
	$(BENCH_PG) bench/bench_radius.py $(RADIUS_ARGS) || $(BENCH_FAILED) bench_radius.py  # coa: traffic page 1M vs 1k radacct rows; radius_sync vs COPY
	.venv/bin/python bench/bench_coa.py $(COA_ARGS) || $(BENCH_FAILED) bench_coa.py  # coa: 1,000 CoA-Requests to coa_server, Coin's client vs radclient -p 100
	$(BENCH_PG) bench/bench_billing_page.py $(BILLING_PAGE_ARGS) || $(BENCH_FAILED) bench_billing_page.py  # portal: billing page, 500 vs 15 invoices
	.venv/bin/python bench/report.py
CHARGE_MEMBERS ?= 10000 100000
bench-quick: ## the same benchmarks at smaller sizes, a glance for regressions (about 4 min); the goals are the full run's
	$(MAKE) bench CHARGE_MEMBERS=10000 ALLOCATION_ARGS="--count 5000 --samples 200" PDF_ARGS="--count 20" \
		VPN_ARGS="--accounts 2000" RADIUS_ARGS="--accounts 2000 --requests 50" COA_ARGS="--requests 300 --rounds 1" \
		BILLING_PAGE_ARGS="--runs 50"
bench-charge: ## only the charge run's benchmark, e.g. make bench-charge CHARGE_MEMBERS=10000 (about a minute)
	.venv/bin/python bench/report.py --reset
	$(BENCH_PG) bench/bench_charge.py --members $(CHARGE_MEMBERS)
	.venv/bin/python bench/report.py
deploy-test: ## the Ansible role run for real on this machine (root), served through nginx (~2 min)
	scripts/bootstrap.sh test
	.venv/bin/python -m tests.harness.postgres -- .venv/bin/pytest -q -s tests/deploy
deploy-files: ## write contrib/systemd and contrib/nginx from the role's templates
	ansible-playbook contrib/ansible/render.yml
