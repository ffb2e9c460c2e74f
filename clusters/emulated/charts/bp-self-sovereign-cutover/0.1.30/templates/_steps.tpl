{# The steps this chart version runs (step numbers are stable; 09 came with 0.1.30). #}
{% set steps = ["01", "02", "03", "04", "05", "06", "07", "08", "09"] %}
