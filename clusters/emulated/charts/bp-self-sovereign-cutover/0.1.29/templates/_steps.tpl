{# The steps this chart version runs: 01..08 (no Gitea token mint yet). #}
{% set steps = ["01", "02", "03", "04", "05", "06", "07", "08"] %}
