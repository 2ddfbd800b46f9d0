select id from {{ ref('hooked') }}
