#!/usr/bin/env bash
# Refreshes the Falco fact tables (internal/upstream/facts/falco-*.json)
# from git mirrors of falcosecurity/{rules,falco,plugins}.
#   RULES_GIT=... FALCO_GIT=... PLUGINS_GIT=... internal/upstream/falco-refresh.sh
# Each *_GIT is a git directory (a bare clone or the search tool's fetch
# mirror, e.g. /work/.mirror/falcosecurity+rules/repo). When a pin moves
# (components/falco/versions.go), add or change its line here, rerun, and
# run the conformance test: go test ./tests/conformance/ -run Falco
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${RULES_GIT:=/work/.mirror/falcosecurity+rules/repo}"
: "${FALCO_GIT:=/work/.mirror/falcosecurity+falco/repo}"
: "${PLUGINS_GIT:=/work/.mirror/falcosecurity+plugins/repo}"
out=internal/upstream/facts
facts() { go run ./internal/upstream/falcofacts "$@"; }

facts -git "$RULES_GIT" -repo falcosecurity/rules -tag falco-rules-5.0.0 \
	-file rules/falco_rules.yaml -out "$out/falco-rules-5.0.0.json"
facts -git "$RULES_GIT" -repo falcosecurity/rules -tag falco-incubating-rules-6.0.0 \
	-file rules/falco-incubating_rules.yaml -out "$out/falco-incubating-rules-6.0.0.json"
facts -git "$RULES_GIT" -repo falcosecurity/rules -tag falco-sandbox-rules-6.0.0 \
	-file rules/falco-sandbox_rules.yaml -out "$out/falco-sandbox-rules-6.0.0.json"
# Falco 0.44 ships falco-rules 5.1.0; its incubating and sandbox releases
# were cut from the same commit.
facts -git "$RULES_GIT" -repo falcosecurity/rules -tag falco-rules-5.1.0 \
	-file rules/falco_rules.yaml -out "$out/falco-rules-5.1.0.json"
facts -git "$RULES_GIT" -repo falcosecurity/rules -tag falco-incubating-rules-6.0.1 \
	-file rules/falco-incubating_rules.yaml -out "$out/falco-incubating-rules-6.0.1.json"
facts -git "$RULES_GIT" -repo falcosecurity/rules -tag falco-sandbox-rules-6.1.0 \
	-file rules/falco-sandbox_rules.yaml -out "$out/falco-sandbox-rules-6.1.0.json"
facts -git "$PLUGINS_GIT" -repo falcosecurity/plugins -tag plugins/k8saudit/v0.16.0 \
	-file plugins/k8saudit/rules/k8s_audit_rules.yaml -out "$out/falco-k8saudit-rules-0.16.0.json"
for v in 0.42.1 0.43.1 0.44.1; do
	facts -git "$FALCO_GIT" -repo falcosecurity/falco -tag "$v" -config \
		-file falco.yaml -out "$out/falco-config-$v.json"
done
