-- depends_on: {{ ref('base') }}
select count(*) as people from {{ source('raw', 'people') }}
