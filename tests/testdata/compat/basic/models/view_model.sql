select * from {{ ref('base') }}
