"""The sample responses of the GeoReport v2 specification (wiki.open311.org/GeoReport_v2 and its
Service Discovery page), abridged to one or two items each.

The specification's JSON samples write ids as bare numbers with leading zeros (`001`), which
is not JSON; they are quoted here so a JSON parser can read them. Nothing else is changed.
"""

from __future__ import annotations

DISCOVERY_XML = """<?xml version="1.0" encoding="utf-8"?>
<discovery>
  <changeset>2011-04-05T17:48:34Z</changeset>
  <contact>Please email ( content.311@sfgov.org ) or call ( 415-701-2311 ) for assistance or to report bugs</contact>
  <key_service>To get an API_KEY please visit this website: http://apps.sfgov.org/Open311API/</key_service>
  <endpoints>
    <endpoint>
      <specification>http://wiki.open311.org/GeoReport_v2</specification>
      <url>http://open311.sfgov.org/V2/</url>
      <changeset>2011-04-20T17:48:34Z</changeset>
      <type>production</type>
      <formats>
        <format>text/xml</format>
      </formats>
    </endpoint>
  </endpoints>
</discovery>
"""

DISCOVERY_JSON = """{
  "changeset": "2011-04-05 17:48:34",
  "contact": "Please email ( content.311@sfgov.org ) or call ( 415-701-2311 ) for assistance or to report bugs",
  "key_service": "To get an API_KEY please visit this website: http://apps.sfgov.org/Open311API/",
  "endpoints": [
    {
      "specification": "http://wiki.open311.org/GeoReport_v2",
      "url": "http://open311.sfgov.org/V2/",
      "changeset": "2011-04-20 17:48:34",
      "type": "production",
      "formats": ["text/xml"]
    }
  ]
}
"""

SERVICES_XML = """<?xml version="1.0" encoding="utf-8"?>
<services>
  <service>
    <service_code>001</service_code>
    <service_name>Cans left out 24x7</service_name>
    <description>Garbage or recycling cans that have been left out for more than 24 hours after
      collection.</description>
    <metadata>true</metadata>
    <type>realtime</type>
    <keywords>lorem, ipsum, dolor</keywords>
    <group>sanitation</group>
  </service>
  <service>
    <service_code>002</service_code>
    <metadata>true</metadata>
    <type>realtime</type>
    <keywords>lorem, ipsum, dolor</keywords>
    <group>street</group>
    <service_name>Construction plate shifted</service_name>
    <description>Metal construction plate covering the street or sidewalk has been moved.</description>
  </service>
</services>
"""

SERVICES_JSON = """[
  {
    "service_code": "001",
    "service_name": "Cans left out 24x7",
    "description": "Garbage or recycling cans that have been left out for more than 24 hours after collection.",
    "metadata": true,
    "type": "realtime",
    "keywords": "lorem, ipsum, dolor",
    "group": "sanitation"
  }
]
"""

SERVICE_DEFINITION_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_definition>
  <service_code>DMV66</service_code>
  <attributes>
    <attribute>
      <variable>true</variable>
      <code>WHISHETN</code>
      <datatype>singlevaluelist</datatype>
      <required>true</required>
      <datatype_description></datatype_description>
      <order>1</order>
      <description>What is the ticket/tag/DL number?</description>
      <values>
        <value>
          <key>123</key>
          <name>Ford</name>
        </value>
        <value>
          <key>124</key>
          <name>Chrysler</name>
        </value>
      </values>
    </attribute>
  </attributes>
</service_definition>
"""

SERVICE_DEFINITION_JSON = """{
  "service_code": "DMV66",
  "attributes": [
    {
      "variable": true,
      "code": "WHISHETN",
      "datatype": "singlevaluelist",
      "required": true,
      "datatype_description": null,
      "order": 1,
      "description": "What is the ticket/tag/DL number?",
      "values": [
        {"key": 123, "name": "Ford"},
        {"key": 124, "name": "Chrysler"}
      ]
    }
  ]
}
"""

POST_RESPONSE_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
  <request>
    <service_request_id>293944</service_request_id>
    <service_notice>The City will inspect and require the responsible party to correct within 24 hours.</service_notice>
    <account_id/>
  </request>
</service_requests>
"""

POST_RESPONSE_JSON = """[
  {
    "service_request_id": 293944,
    "service_notice": "The City will inspect and require the responsible party to correct within 24 hours.",
    "account_id": null
  }
]
"""

TOKEN_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
  <request>
    <service_request_id>638344</service_request_id>
    <token>12345</token>
  </request>
</service_requests>
"""

TOKEN_JSON = """[
  {
    "service_request_id": 638344,
    "token": 12345
  }
]
"""

REQUESTS_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
  <request>
    <service_request_id>638344</service_request_id>
    <status>closed</status>
    <status_notes>Duplicate request.</status_notes>
    <service_name>Sidewalk and Curb Issues</service_name>
    <service_code>006</service_code>
    <description></description>
    <agency_responsible></agency_responsible>
    <service_notice></service_notice>
    <requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>
    <updated_datetime>2010-04-14T06:37:38-08:00</updated_datetime>
    <expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime>
    <address>8TH AVE and JUDAH ST</address>
    <address_id>545483</address_id>
    <zipcode>94122</zipcode>
    <lat>37.762221815</lat>
    <long>-122.4651145</long>
    <media_url>http://city.gov.s3.amazonaws.com/requests/media/638344.jpg</media_url>
  </request>
</service_requests>
"""

REQUESTS_JSON = """[
  {
    "service_request_id": 638344,
    "status": "closed",
    "status_notes": "Duplicate request.",
    "service_name": "Sidewalk and Curb Issues",
    "service_code": "006",
    "description": null,
    "agency_responsible": null,
    "service_notice": null,
    "requested_datetime": "2010-04-14T06:37:38-08:00",
    "updated_datetime": "2010-04-14T06:37:38-08:00",
    "expected_datetime": "2010-04-15T06:37:38-08:00",
    "address": "8TH AVE and JUDAH ST",
    "address_id": 545483,
    "zipcode": 94122,
    "lat": 37.762221815,
    "long": -122.4651145,
    "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"
  }
]
"""

ERRORS_XML = """<?xml version="1.0" encoding="utf-8"?>
<errors>
  <error>
    <code>403</code>
    <description>Invalid api_key received -- can't proceed with create_request.</description>
  </error>
  <error>
    <code>404</code>
    <description>Data not found</description>
  </error>
</errors>
"""

ERRORS_JSON = """[
  {
    "code": 403,
    "description": "Invalid api_key received -- can't proceed with create_request."
  },
  {
    "code": 404,
    "description": "Data not found"
  }
]
"""
