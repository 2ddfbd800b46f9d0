select '{{ env_var('REGION') }}' as r
