-- osm2pgsql flex style for the offline basemap (osm2pgsql ≥ 1.7; Debian 12 ships 1.8).
--
-- Writes plain staging tables in the schema named by BASEMAP_STAGING_SCHEMA; basemap/importer.py
-- then swaps their contents into the product's tables (basemap_*) in one transaction, so a map
-- never shows half an import. Only what the product draws or routes on is kept: roads and
-- paths (with class and name), water, landuse, walls/fences, gates and entrances, a few kinds
-- of POI and place names. Names prefer name:zh (the product's labels are Chinese).

local schema = os.getenv('BASEMAP_STAGING_SCHEMA') or 'basemap_staging'

local function name_of(tags)
    return tags['name:zh'] or tags['name:zh-Hans'] or tags['name'] or ''
end

local tables = {}

tables.roads = osm2pgsql.define_way_table('roads', {
    { column = 'kind', type = 'text', not_null = true },
    { column = 'name', type = 'text' },
    { column = 'width', type = 'real' },
    { column = 'geom', type = 'linestring', projection = 4326, not_null = true },
}, { schema = schema })

tables.waterways = osm2pgsql.define_way_table('waterways', {
    { column = 'kind', type = 'text', not_null = true },
    { column = 'name', type = 'text' },
    { column = 'geom', type = 'linestring', projection = 4326, not_null = true },
}, { schema = schema })

tables.barriers = osm2pgsql.define_way_table('barriers', {
    { column = 'kind', type = 'text', not_null = true },
    { column = 'geom', type = 'linestring', projection = 4326, not_null = true },
}, { schema = schema })

tables.areas = osm2pgsql.define_area_table('areas', {
    { column = 'layer', type = 'text', not_null = true },   -- water | landuse
    { column = 'kind', type = 'text', not_null = true },
    { column = 'name', type = 'text' },
    { column = 'geom', type = 'multipolygon', projection = 4326, not_null = true },
}, { schema = schema })

tables.points = osm2pgsql.define_table({
    name = 'points', schema = schema,
    ids = { type = 'any', id_column = 'osm_id', type_column = 'osm_type' },
    columns = {
        { column = 'layer', type = 'text', not_null = true },  -- gate | poi | place
        { column = 'kind', type = 'text', not_null = true },
        { column = 'name', type = 'text' },
        { column = 'hours', type = 'text' },
        { column = 'geom', type = 'point', projection = 4326, not_null = true },
    }
})

local ROADS = {
    motorway = true, trunk = true, primary = true, secondary = true, tertiary = true,
    motorway_link = true, trunk_link = true, primary_link = true, secondary_link = true, tertiary_link = true,
    unclassified = true, residential = true, living_street = true, service = true, pedestrian = true,
    footway = true, path = true, steps = true, cycleway = true, track = true,
}
local WATERWAYS = { river = true, canal = true, stream = true, drain = true, ditch = true }
local BARRIERS = { wall = true, fence = true, city_wall = true, retaining_wall = true }
local LANDUSE = {
    residential = true, commercial = true, retail = true, industrial = true, construction = true,
    farmland = true, grass = true, forest = true, cemetery = true, railway = true,
}
local AMENITY_POI = { school = 'school', kindergarten = 'school', college = 'school', university = 'school',
    clinic = 'clinic', hospital = 'clinic', doctors = 'clinic', police = 'police', marketplace = 'market' }
local PLACES = { city = true, town = true, suburb = true, quarter = true, neighbourhood = true,
    village = true, hamlet = true, locality = true }

local function poi_kind(tags)
    if tags.highway == 'bus_stop' or tags.public_transport == 'platform' and tags.bus == 'yes' then
        return 'bus_stop'
    end
    return AMENITY_POI[tags.amenity]
end

local function road_kind(tags)
    local h = tags.highway
    if not ROADS[h] then return nil end
    if tags.area == 'yes' then return nil end
    if h == 'service' and tags.service == 'alley' then return 'alley' end
    return h
end

local function add_point(object, geom)
    local tags = object.tags
    if tags.barrier == 'gate' or tags.entrance then
        tables.points:insert({ layer = 'gate', kind = tags.entrance and ('entrance_' .. tags.entrance) or 'gate',
            name = name_of(tags), hours = tags.opening_hours, geom = geom })
    end
    local poi = poi_kind(tags)
    if poi then
        tables.points:insert({ layer = 'poi', kind = poi, name = name_of(tags), geom = geom })
    end
    if PLACES[tags.place] and name_of(tags) ~= '' then
        tables.points:insert({ layer = 'place', kind = tags.place, name = name_of(tags), geom = geom })
    end
end

function osm2pgsql.process_node(object)
    add_point(object, object:as_point())
end

local function area_layer(tags)
    if tags.natural == 'water' or tags.waterway == 'riverbank' or tags.landuse == 'reservoir'
        or tags.landuse == 'basin' then
        return 'water', tags.water or tags.natural or tags.landuse or 'water'
    end
    if LANDUSE[tags.landuse] then return 'landuse', tags.landuse end
    return nil
end

function osm2pgsql.process_way(object)
    local tags = object.tags
    local kind = road_kind(tags)
    if kind then
        tables.roads:insert({ kind = kind, name = name_of(tags), width = tonumber(tags.width),
            geom = object:as_linestring() })
    end
    if WATERWAYS[tags.waterway] then
        tables.waterways:insert({ kind = tags.waterway, name = name_of(tags), geom = object:as_linestring() })
    end
    if BARRIERS[tags.barrier] then
        tables.barriers:insert({ kind = tags.barrier, geom = object:as_linestring() })
    end
    if object.is_closed then
        local layer, akind = area_layer(tags)
        if layer then
            tables.areas:insert({ layer = layer, kind = akind, name = name_of(tags), geom = object:as_polygon() })
        end
        if poi_kind(tags) or PLACES[tags.place] then
            add_point(object, object:as_polygon():centroid())
        end
    end
end

function osm2pgsql.process_relation(object)
    local tags = object.tags
    if tags.type ~= 'multipolygon' then return end
    local layer, akind = area_layer(tags)
    if layer then
        tables.areas:insert({ layer = layer, kind = akind, name = name_of(tags), geom = object:as_multipolygon() })
    end
end
